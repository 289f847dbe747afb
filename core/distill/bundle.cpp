#include "core/distill/bundle.h"

#include "core/distill/bundle_classifier.h"

#include <set>
#include <sstream>

#include "core/io/safetensors.h"
#include "core/models/state_dict.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::distill {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// Reads the fields of one architecture's `config` object and rejects the
/// names it does not know, so a typo does not silently fall back to a default.
class ConfigReader {
 public:
  ConfigReader(const json& config, std::string what) : config_(config), what_(std::move(what)) {
    if (!config_.is_object()) throw Error(what_ + ": config must be a JSON object");
  }

  template <typename T>
  void read(const std::string& key, T& value) {
    known_.insert(key);
    auto found = config_.find(key);
    if (found == config_.end()) return;
    try {
      value = found->get<T>();
    } catch (const json::exception&) {
      throw Error(what_ + ": config field '" + key + "' has the wrong type: " + found->dump());
    }
  }

  void finish() const {
    for (const auto& [key, _] : config_.items()) {
      if (known_.count(key) == 0) {
        std::string names;
        for (const auto& name : known_) names += (names.empty() ? "" : ", ") + name;
        throw Error(what_ + ": unknown config field '" + key + "'; known fields: " + names);
      }
    }
  }

 private:
  const json& config_;
  std::string what_;
  std::set<std::string> known_;
};

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

std::string component_error(const io::BundleManifest& manifest, const std::string& role, const std::string& problem) {
  return "bundle '" + manifest.folder.string() + "', component '" + role + "': " + problem;
}

models::TensorMap read_weights(const io::ComponentSpec& spec) {
  const io::SafetensorsFile file = io::SafetensorsFile::open(spec.weights);
  models::TensorMap weights = file.tensors(spec.prefix);
  if (weights.empty()) {
    throw Error("weight file '" + spec.weights.string() + "' has no tensor with prefix '" + spec.prefix + "'");
  }
  return weights;
}

/// Loads one component and rewrites any error to name the bundle and role.
template <typename Load>
auto load_component(const io::BundleManifest& manifest, const std::string& role, Load load) {
  try {
    return load(manifest.component(role));
  } catch (const Error& error) {
    throw Error(component_error(manifest, role, error.what()));
  }
}

models::ClipTokenizerOptions tokenizer_options_from_json(const json& config) {
  models::ClipTokenizerOptions options;
  ConfigReader reader(config, "tokenizer");
  std::string padding = "zero";
  reader.read("context_length", options.context_length);
  reader.read("padding", padding);
  reader.finish();
  if (padding == "zero") options.padding = models::ClipPadding::Zero;
  else if (padding == "eot" || padding == "end_of_text") options.padding = models::ClipPadding::EndOfText;
  else throw Error("tokenizer: config field 'padding' is '" + padding + "'; use \"zero\" or \"eot\"");
  return options;
}

}  // namespace

// ---------------------------------------------------------------------------
// Options <-> JSON
// ---------------------------------------------------------------------------

models::AutoencoderKLOptions autoencoder_options_from_json(const json& config) {
  models::AutoencoderKLOptions options;
  ConfigReader reader(config, "autoencoder");
  reader.read("in_channels", options.in_channels);
  reader.read("out_channels", options.out_channels);
  reader.read("block_out_channels", options.block_out_channels);
  reader.read("layers_per_block", options.layers_per_block);
  reader.read("latent_channels", options.latent_channels);
  reader.read("norm_num_groups", options.norm_num_groups);
  reader.read("norm_eps", options.norm_eps);
  reader.read("sample_size", options.sample_size);
  reader.finish();
  options.validate();
  return options;
}

json to_json(const models::AutoencoderKLOptions& o) {
  return {{"in_channels", o.in_channels},       {"out_channels", o.out_channels},
          {"block_out_channels", o.block_out_channels}, {"layers_per_block", o.layers_per_block},
          {"latent_channels", o.latent_channels}, {"norm_num_groups", o.norm_num_groups},
          {"norm_eps", o.norm_eps},             {"sample_size", o.sample_size}};
}

models::ClipTextOptions clip_text_options_from_json(const json& config) {
  models::ClipTextOptions options;
  ConfigReader reader(config, "text_encoder");
  std::string activation = models::clip_activation_name(options.hidden_act);
  reader.read("vocab_size", options.vocab_size);
  reader.read("hidden_size", options.hidden_size);
  reader.read("intermediate_size", options.intermediate_size);
  reader.read("num_layers", options.num_layers);
  reader.read("num_heads", options.num_heads);
  reader.read("context", options.context);
  reader.read("hidden_act", activation);
  reader.read("layer_norm_eps", options.layer_norm_eps);
  reader.read("bos_token_id", options.bos_token_id);
  reader.read("eos_token_id", options.eos_token_id);
  reader.finish();
  options.hidden_act = models::parse_clip_activation(activation);
  options.validate();
  return options;
}

json to_json(const models::ClipTextOptions& o) {
  return {{"vocab_size", o.vocab_size},   {"hidden_size", o.hidden_size},
          {"intermediate_size", o.intermediate_size}, {"num_layers", o.num_layers},
          {"num_heads", o.num_heads},     {"context", o.context},
          {"hidden_act", models::clip_activation_name(o.hidden_act)}, {"layer_norm_eps", o.layer_norm_eps},
          {"bos_token_id", o.bos_token_id}, {"eos_token_id", o.eos_token_id}};
}

models::DiTOptions dit_options_from_json(const json& config) {
  models::DiTOptions options;
  ConfigReader reader(config, "dit");
  reader.read("input_size", options.input_size);
  reader.read("patch_size", options.patch_size);
  reader.read("in_channels", options.in_channels);
  reader.read("hidden_size", options.hidden_size);
  reader.read("depth", options.depth);
  reader.read("num_heads", options.num_heads);
  reader.read("mlp_ratio", options.mlp_ratio);
  reader.read("class_dropout_prob", options.class_dropout_prob);
  reader.read("num_classes", options.num_classes);
  reader.read("learn_sigma", options.learn_sigma);
  reader.read("text_dim", options.text_dim);
  reader.finish();
  options.validate();
  return options;
}

json to_json(const models::DiTOptions& o) {
  return {{"input_size", o.input_size}, {"patch_size", o.patch_size}, {"in_channels", o.in_channels},
          {"hidden_size", o.hidden_size}, {"depth", o.depth}, {"num_heads", o.num_heads},
          {"mlp_ratio", o.mlp_ratio}, {"class_dropout_prob", o.class_dropout_prob},
          {"num_classes", o.num_classes}, {"learn_sigma", o.learn_sigma}, {"text_dim", o.text_dim}};
}

models::FusionModuleOptions fusion_options_from_json(const json& config) {
  models::FusionModuleOptions options;
  ConfigReader reader(config, "fusion");
  reader.read("latent_channels", options.latent_channels);
  reader.read("embed_dim", options.embed_dim);
  reader.read("num_heads", options.num_heads);
  reader.read("num_layers", options.num_layers);
  reader.read("ffn_multiplier", options.ffn_multiplier);
  reader.read("dropout", options.dropout);
  reader.read("text_dim", options.text_dim);
  reader.read("latent_size", options.latent_size);
  reader.finish();
  return options;
}

json to_json(const models::FusionModuleOptions& o) {
  return {{"latent_channels", o.latent_channels}, {"embed_dim", o.embed_dim}, {"num_heads", o.num_heads},
          {"num_layers", o.num_layers}, {"ffn_multiplier", o.ffn_multiplier}, {"dropout", o.dropout},
          {"text_dim", o.text_dim}, {"latent_size", o.latent_size}};
}

eval::TrainOptions classifier_options_from_json(const json& config) {
  eval::TrainOptions options;
  ConfigReader reader(config, "classifier");
  reader.read("in_channels", options.model.in_channels);
  reader.read("image_size", options.model.image_size);
  reader.read("num_classes", options.model.num_classes);
  reader.read("width", options.model.width);
  reader.read("depth", options.model.depth);
  reader.read("mean", options.mean);
  reader.read("std", options.std);
  reader.finish();
  return options;
}

diffusion::DiffusionOptions diffusion_options_from_json(const json& config) {
  diffusion::DiffusionOptions options;
  ConfigReader reader(config, "diffusion");
  reader.read("noise_schedule", options.noise_schedule);
  reader.read("diffusion_steps", options.diffusion_steps);
  reader.read("learn_sigma", options.learn_sigma);
  reader.finish();
  return options;
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

int64_t LoadedBundle::latent_channels() const { return autoencoder->options().latent_channels; }

int64_t LoadedBundle::latent_size() const {
  return manifest.dataset.image_size / autoencoder->options().downsample_factor();
}

models::AutoencoderKL load_bundle_autoencoder(const io::BundleManifest& manifest) {
  models::AutoencoderKL model = load_component(manifest, "autoencoder", [&manifest](const io::ComponentSpec& spec) {
    models::AutoencoderKLOptions options = autoencoder_options_from_json(spec.config);
    options.scaling_factor = manifest.scaling_factor;
    return models::load_autoencoder_kl(read_weights(spec), options);
  });
  if (model->options().in_channels != manifest.dataset.channels) {
    throw Error(component_error(manifest, "autoencoder",
                                "takes " + std::to_string(model->options().in_channels) +
                                    " image channels but dataset.channels is " + std::to_string(manifest.dataset.channels)));
  }
  model->eval();
  return model;
}

std::shared_ptr<models::ClipTokenizer> load_bundle_tokenizer(const io::BundleManifest& manifest) {
  return load_component(manifest, "tokenizer", [](const io::ComponentSpec& spec) {
    const models::ClipTokenizerOptions options = tokenizer_options_from_json(spec.config);
    if (spec.key_layout == "openai") {
      return std::make_shared<models::ClipTokenizer>(models::ClipTokenizer::from_openai_bpe(spec.vocab, options));
    }
    return std::make_shared<models::ClipTokenizer>(models::ClipTokenizer::from_hf_files(spec.vocab, spec.merges, options));
  });
}

models::ClipTextEncoder load_bundle_text_encoder(const io::BundleManifest& manifest) {
  models::ClipTextEncoder model = load_component(manifest, "text_encoder", [](const io::ComponentSpec& spec) {
    return models::load_clip_text_encoder(read_weights(spec), clip_text_options_from_json(spec.config));
  });
  model->eval();
  return model;
}

models::DiT load_bundle_denoiser(const io::BundleManifest& manifest, const std::string& role) {
  models::DiT model = load_component(manifest, role, [&](const io::ComponentSpec& spec) {
    const models::TensorMap weights = read_weights(spec);
    const models::DiTOptions options = models::DiTOptions::from_state_dict(weights, dit_options_from_json(spec.config));
    models::DiT dit(options);
    dit->load_state(weights);
    return dit;
  });
  model->eval();
  return model;
}

models::FusionModule load_bundle_fusion(const io::BundleManifest& manifest) {
  models::FusionModule model = load_component(manifest, "fusion", [](const io::ComponentSpec& spec) {
    const auto state = models::read_fusion_state_dict(spec.weights);
    const auto options = models::fusion_options_from_state_dict(state, fusion_options_from_json(spec.config));
    models::FusionModule module(options);
    models::load_fusion_state_dict(module, state);
    return module;
  });
  model->eval();
  return model;
}

LoadedBundle load_bundle(const fs::path& folder, torch::Device device) {
  LoadedBundle bundle;
  bundle.manifest = io::read_bundle_manifest(folder);
  bundle.device = device;
  const io::BundleManifest& manifest = bundle.manifest;

  // Autoencoder, tokenizer and text encoder.
  bundle.autoencoder = load_bundle_autoencoder(manifest);
  bundle.tokenizer = load_bundle_tokenizer(manifest);
  bundle.text_encoder = load_bundle_text_encoder(manifest);
  const auto& text_options = bundle.text_encoder->options();
  if (bundle.tokenizer->vocab_size() > text_options.vocab_size) {
    throw Error(component_error(manifest, "tokenizer",
                                "has " + std::to_string(bundle.tokenizer->vocab_size()) + " tokens but the text encoder embeds only " +
                                    std::to_string(text_options.vocab_size)));
  }
  if (bundle.tokenizer->options().context_length > text_options.context) {
    throw Error(component_error(manifest, "tokenizer",
                                "context_length " + std::to_string(bundle.tokenizer->options().context_length) +
                                    " exceeds the text encoder's context " + std::to_string(text_options.context)));
  }

  // Denoisers: latent and text sizes must agree with the encoders.
  bundle.denoiser_late = load_bundle_denoiser(manifest, "denoiser_late");
  bundle.has_early_denoiser = manifest.has("denoiser_early");
  bundle.denoiser_early = bundle.has_early_denoiser ? load_bundle_denoiser(manifest, "denoiser_early") : bundle.denoiser_late;
  for (const auto& [role, model] : {std::pair{"denoiser_late", bundle.denoiser_late}, {"denoiser_early", bundle.denoiser_early}}) {
    const auto& o = model->options();
    if (o.in_channels != bundle.latent_channels() || o.input_size != bundle.latent_size()) {
      throw Error(component_error(manifest, role,
                                  "expects latents " + std::to_string(o.in_channels) + "x" + std::to_string(o.input_size) + "x" +
                                      std::to_string(o.input_size) + " but the autoencoder makes " +
                                      std::to_string(bundle.latent_channels()) + "x" + std::to_string(bundle.latent_size()) +
                                      "x" + std::to_string(bundle.latent_size())));
    }
    if (o.text_dim != 0 && o.text_dim != text_options.hidden_size) {
      throw Error(component_error(manifest, role,
                                  "cross-attends to text of width " + std::to_string(o.text_dim) +
                                      " but the text encoder's width is " + std::to_string(text_options.hidden_size)));
    }
  }

  // Fusion module.
  bundle.fusion = load_bundle_fusion(manifest);
  const auto& fusion_options = bundle.fusion->options();
  if (fusion_options.latent_channels != bundle.latent_channels() || fusion_options.latent_size != bundle.latent_size() ||
      fusion_options.text_dim != text_options.hidden_size) {
    throw Error(component_error(manifest, "fusion", "sizes " + fusion_options.to_string() +
                                                        " do not match the autoencoder latents and the text encoder width"));
  }

  bundle.diffusion = diffusion_options_from_json(manifest.diffusion);

  // Device and evaluation mode.
  for (torch::nn::Module* module : std::initializer_list<torch::nn::Module*>{
           bundle.autoencoder.get(), bundle.text_encoder.get(), bundle.denoiser_late.get(), bundle.fusion.get(),
           bundle.denoiser_early.get()}) {
    module->to(device);
    module->eval();
  }
  logger()->info("loaded bundle '{}' from {}", manifest.name, manifest.folder.string());
  return bundle;
}

std::string bundle_summary(const LoadedBundle& bundle) {
  const io::BundleManifest& m = bundle.manifest;
  std::ostringstream text;
  text << "bundle '" << m.name << "' at " << m.folder.string() << '\n';
  if (!m.description.empty()) text << "  " << m.description << '\n';
  text << "  dataset: " << m.dataset.name << ", " << m.dataset.class_names.size() << " classes, "
       << m.dataset.image_size << "x" << m.dataset.image_size << "x" << m.dataset.channels << ", prompt \""
       << m.dataset.prompt_template << "\"\n";
  text << "  latents: " << bundle.latent_channels() << "x" << bundle.latent_size() << "x" << bundle.latent_size()
       << ", scaling factor " << m.scaling_factor << '\n';
  auto line = [&](const std::string& role, const torch::nn::Module& module, const std::string& options) {
    text << "  " << role << ": " << parameter_count(module) << " parameters, " << options << '\n';
  };
  line("autoencoder", *bundle.autoencoder, bundle.autoencoder->options().to_string());
  text << "  tokenizer: " << bundle.tokenizer->vocab_size() << " tokens, " << bundle.tokenizer->options().to_string() << '\n';
  line("text_encoder", *bundle.text_encoder, bundle.text_encoder->options().to_string());
  line("denoiser_late", *bundle.denoiser_late, bundle.denoiser_late->options().to_string());
  line("fusion", *bundle.fusion, bundle.fusion->options().to_string());
  if (bundle.has_early_denoiser) {
    line("denoiser_early", *bundle.denoiser_early, bundle.denoiser_early->options().to_string());
  } else {
    text << "  denoiser_early: none, the early pipeline samples with denoiser_late\n";
  }
  text << "  diffusion: " << bundle.diffusion.to_string() << '\n';
  return text.str();
}

}  // namespace evlf::distill
