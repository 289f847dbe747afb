#include "core/distill/pipeline.h"

#include <sstream>

#include "core/data/transforms.h"
#include "core/diffusion/sampler.h"
#include "core/distill/kmeans.h"
#include "core/data/prompts.h"
#include "core/io/safetensors.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::distill {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int64_t kEncodeBatch = 256;
constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t fnv1a(const uint8_t* bytes, std::size_t size, uint64_t hash = kFnvOffset) {
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * kFnvPrime;
  return hash;
}

std::string hex(uint64_t value) {
  std::ostringstream text;
  text << std::hex << value;
  return text.str();
}

/// Cache key of a latent set: the autoencoder's weights and the images.
std::string latent_cache_key(const LoadedBundle& bundle, const data::LabeledImages& images) {
  uint64_t hash = kFnvOffset;
  for (const auto& p : bundle.autoencoder->parameters()) {
    const torch::Tensor cpu = p.detach().to(torch::kCPU).contiguous();
    hash = fnv1a(static_cast<const uint8_t*>(cpu.data_ptr()), cpu.nbytes(), hash);
  }
  const torch::Tensor pixels = images.images.contiguous();
  hash = fnv1a(static_cast<const uint8_t*>(pixels.data_ptr()), pixels.nbytes(), hash);
  const torch::Tensor labels = images.labels.contiguous();
  hash = fnv1a(static_cast<const uint8_t*>(labels.data_ptr()), labels.nbytes(), hash);
  const std::string size = std::to_string(bundle.manifest.dataset.image_size);
  hash = fnv1a(reinterpret_cast<const uint8_t*>(size.data()), size.size(), hash);
  return hex(hash);
}

diffusion::DiffusionOptions sampling_diffusion(const LoadedBundle& bundle, const SamplingSettings& settings) {
  diffusion::DiffusionOptions options = bundle.diffusion;
  const std::string steps = std::to_string(settings.steps);
  options.timestep_respacing = settings.sampler == "ddim" ? "ddim" + steps : steps;
  return options;
}

double norm_of(const torch::Tensor& x) { return x.norm().item<double>(); }

}  // namespace

std::string pipeline_name(PipelineKind kind) { return kind == PipelineKind::Late ? "late" : "early"; }

PipelineKind parse_pipeline(const std::string& name) {
  if (name == "late") return PipelineKind::Late;
  if (name == "early") return PipelineKind::Early;
  throw Error("unknown pipeline '" + name + "'; use late or early");
}

void SamplingSettings::validate() const {
  auto fail = [](const std::string& message) { throw Error(message); };
  if (!(fusion_weight >= 0.0 && fusion_weight <= 10.0)) fail("invalid fusion weight " + std::to_string(fusion_weight) + "; use a value in [0, 10] (1 = EVLF as published)");
  if (!(cfg_scale >= 0.0)) fail("invalid CFG scale " + std::to_string(cfg_scale) + "; use 1 or more (1 disables guidance)");
  if (cfg_channels < 0) fail("invalid cfg_channels " + std::to_string(cfg_channels) + "; use 0 for all channels or a positive count");
  if (!(mode_guidance >= 0.0)) fail("invalid mode-guidance scale " + std::to_string(mode_guidance) + "; use 0 or more");
  if (steps <= 0 || steps > 1000) fail("invalid step count " + std::to_string(steps) + "; use 1 to 1000 sampling steps");
  if (stop_t < -1 || stop_t >= steps) {
    fail("invalid stop step " + std::to_string(stop_t) + "; use -1 (guide every step) to " + std::to_string(steps - 1));
  }
  if (sampler != "ddpm" && sampler != "ddim") fail("unknown sampler '" + sampler + "'; use ddpm or ddim");
  if (!(eta >= 0.0 && eta <= 1.0)) fail("invalid DDIM eta " + std::to_string(eta) + "; use a value in [0, 1]");
}

json SamplingSettings::to_json() const {
  return {{"fusion_weight", fusion_weight}, {"cfg_scale", cfg_scale}, {"cfg_channels", cfg_channels},
          {"mode_guidance", mode_guidance}, {"stop_t", stop_t},       {"steps", steps},
          {"sampler", sampler},             {"eta", eta},             {"seed", seed}};
}

// ---------------------------------------------------------------------------
// Prompts and latents
// ---------------------------------------------------------------------------

ClassPrompts encode_prompts(const LoadedBundle& bundle) {
  models::ClipTextEncoder text_encoder = bundle.text_encoder;  // a holder copy shares the module
  return encode_prompts(bundle.manifest, *bundle.tokenizer, text_encoder, bundle.device);
}

ClassPrompts encode_prompts(const io::BundleManifest& manifest, const models::ClipTokenizer& tokenizer,
                            models::ClipTextEncoder& text_encoder, torch::Device device) {
  torch::NoGradGuard no_grad;
  ClassPrompts prompts;
  prompts.prompts = data::build_prompts(manifest.dataset.prompt_template, manifest.dataset.class_names);
  const models::TokenizedBatch batch = tokenizer.tokenize(prompts.prompts);
  prompts.token_ids = batch.ids;
  prompts.attention_mask = batch.attention_mask;

  const models::ClipTextOutput out = text_encoder->forward(batch.ids.to(device));
  prompts.text_embeds = out.last_hidden_state;  // [K, T, D]
  prompts.pooled = out.pooled;                  // [K, D]

  for (int64_t k = 0; k < batch.ids.size(0); ++k) {
    std::vector<std::string> tokens;
    for (int64_t t = 0; t < batch.ids.size(1); ++t) {
      const int64_t id = batch.ids[k][t].item<int64_t>();
      if (batch.attention_mask[k][t].item<int64_t>() == 0) break;
      if (id == tokenizer.start_of_text()) tokens.push_back("<start>");
      else if (id == tokenizer.end_of_text()) tokens.push_back("<end>");
      else tokens.push_back(tokenizer.decode({id}));
    }
    prompts.tokens.push_back(std::move(tokens));
  }
  return prompts;
}

LatentSet encode_images(const LoadedBundle& bundle, const data::LabeledImages& images,
                        const std::optional<fs::path>& cache_folder, const JobControl& job) {
  // Cached latents are reused when the key matches.
  std::string key;
  fs::path cache_file;
  if (cache_folder) {
    key = latent_cache_key(bundle, images);
    cache_file = *cache_folder / ("latents-" + key + ".safetensors");
    if (fs::is_regular_file(cache_file)) {
      try {
        const io::SafetensorsFile file = io::SafetensorsFile::open(cache_file);
        if (file.metadata().count("key") != 0 && file.metadata_value("key") == key) {
          logger()->info("reusing cached latents {}", cache_file.string());
          return {file.tensor("latents"), file.tensor("labels")};
        }
      } catch (const Error& error) {
        logger()->warn("ignoring unreadable latent cache {}: {}", cache_file.string(), error.what());
      }
    }
  }

  // Encode in batches: the posterior mean, times the scaling factor.
  torch::NoGradGuard no_grad;
  models::AutoencoderKL autoencoder = bundle.autoencoder;  // holder copies share the module
  const int64_t n = images.images.size(0);
  std::vector<torch::Tensor> latents;
  for (int64_t begin = 0; begin < n; begin += kEncodeBatch) {
    job.throw_if_cancelled();
    const int64_t end = std::min(n, begin + kEncodeBatch);
    const torch::Tensor x =
        data::to_model_input(images.images.slice(0, begin, end), bundle.manifest.dataset.image_size).to(bundle.device);
    latents.push_back(autoencoder->encode_latents(x, /*sample=*/false).cpu());  // [b, C, h, w]
    job.report({"encode", end, n, {}, ""});
  }
  LatentSet set{n > 0 ? torch::cat(latents) : torch::empty({0}), images.labels.clone()};

  if (cache_folder) {
    std::error_code ignored;
    fs::create_directories(*cache_folder, ignored);
    try {
      io::save_safetensors(cache_file, io::TensorList{{"latents", set.latents}, {"labels", set.labels}}, {{"key", key}});
    } catch (const Error& error) {
      logger()->warn("could not write latent cache {}: {}", cache_file.string(), error.what());
    }
  }
  return set;
}

torch::Tensor fuse_latents(const LoadedBundle& bundle, const ClassPrompts& prompts, const LatentSet& set,
                           double fusion_weight, const JobControl& job) {
  torch::NoGradGuard no_grad;
  models::FusionModule fusion = bundle.fusion;
  const int64_t n = set.latents.size(0);
  std::vector<torch::Tensor> fused;
  for (int64_t begin = 0; begin < n; begin += kEncodeBatch) {
    job.throw_if_cancelled();
    const int64_t end = std::min(n, begin + kEncodeBatch);
    const torch::Tensor z = set.latents.slice(0, begin, end).to(bundle.device);          // [b, C, h, w]
    const torch::Tensor labels = set.labels.slice(0, begin, end).to(bundle.device);      // [b]
    const torch::Tensor text = prompts.text_embeds.index_select(0, labels);              // [b, T, D]
    const torch::Tensor z_fused = fusion->forward(z, text).fused;                        // [b, C, h, w]
    fused.push_back(models::blend_fused_latent(z, z_fused, fusion_weight).cpu());
    job.report({"fuse", end, n, {}, ""});
  }
  return n > 0 ? torch::cat(fused) : set.latents.clone();
}

// ---------------------------------------------------------------------------
// Modes
// ---------------------------------------------------------------------------

std::vector<ClassModes> discover_modes(const torch::Tensor& latents, const torch::Tensor& labels,
                                       const std::vector<int64_t>& classes, int64_t ipc, uint64_t seed,
                                       bool closest_real, const JobControl& job) {
  std::vector<ClassModes> modes;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    job.throw_if_cancelled();
    const int64_t k = classes[i];
    const torch::Tensor members = (labels == k).nonzero().flatten();  // [n_k]
    const torch::Tensor class_latents = latents.index_select(0, members);  // [n_k, C, h, w]

    KMeansOptions options;
    options.k = ipc;
    options.seed = seed + static_cast<uint64_t>(k);
    options.closest_real = true;
    options.label = "class " + std::to_string(k);
    const KMeansResult result = kmeans(class_latents.flatten(1), options);

    ClassModes class_modes;
    class_modes.class_index = k;
    const torch::Tensor closest = members.index_select(0, result.closest);  // [IPC] indices into the real set
    class_modes.nearest_members.assign(closest.data_ptr<int64_t>(), closest.data_ptr<int64_t>() + closest.numel());
    class_modes.centres = closest_real ? latents.index_select(0, closest)
                                       : result.centres.reshape({ipc, latents.size(1), latents.size(2), latents.size(3)});
    modes.push_back(std::move(class_modes));
    job.report({"modes", static_cast<int64_t>(i + 1), static_cast<int64_t>(classes.size()), {}, ""});
  }
  return modes;
}

// ---------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------

std::vector<GeneratedSample> generate_samples(const LoadedBundle& bundle, const ClassPrompts& prompts,
                                              PipelineKind pipeline, const std::vector<ClassModes>& modes,
                                              const std::vector<SampleRequest>& requests,
                                              const SamplingSettings& settings, const JobControl& job,
                                              int64_t image_height, int64_t image_width) {
  settings.validate();
  if (requests.empty()) return {};
  torch::NoGradGuard no_grad;
  const int64_t B = static_cast<int64_t>(requests.size());
  const int64_t C = bundle.latent_channels();
  const int64_t side = bundle.latent_size();

  // Conditioning, modes and noise keys of each request.
  std::vector<int64_t> labels;
  std::vector<torch::Tensor> mode_rows;
  std::vector<diffusion::NoiseKey> keys;
  for (const SampleRequest& request : requests) {
    if (request.class_index < 0 || request.class_index >= bundle.num_classes()) {
      throw Error("invalid class index " + std::to_string(request.class_index) + "; the bundle has " +
                  std::to_string(bundle.num_classes()) + " classes");
    }
    labels.push_back(request.class_index);
    keys.push_back({settings.seed, request.class_index, request.slot});
    if (settings.mode_guidance > 0.0) {
      const ClassModes* found = nullptr;
      for (const ClassModes& m : modes) {
        if (m.class_index == request.class_index) found = &m;
      }
      if (found == nullptr || request.slot >= found->centres.size(0)) {
        throw Error("no mode for class " + std::to_string(request.class_index) + ", slot " + std::to_string(request.slot) +
                    "; discover modes with an IPC above the slot, or set the mode-guidance scale to 0");
      }
      mode_rows.push_back(found->centres[request.slot]);
    }
  }
  const torch::Tensor y = torch::tensor(labels, torch::kInt64).to(bundle.device);  // [B]
  models::DiT model = pipeline == PipelineKind::Late ? bundle.denoiser_late : bundle.denoiser_early;
  const torch::Tensor text = model->options().text_dim > 0 ? prompts.text_embeds.index_select(0, y) : torch::Tensor();

  diffusion::SamplerOptions options;
  options.kind = settings.sampler == "ddim" ? diffusion::SamplerKind::DDIM : diffusion::SamplerKind::DDPM;
  options.eta = settings.eta;
  options.cfg_scale = settings.cfg_scale;
  options.cfg_channels = settings.cfg_channels;
  options.mode_guidance.scale = settings.mode_guidance;
  options.mode_guidance.stop_t = settings.stop_t;
  if (!mode_rows.empty()) options.mode_guidance.mode = torch::stack(mode_rows);  // [B, C, h, w]
  options.trace_attention = settings.trace && model->options().text_dim > 0;

  // Run the loop; the callback keeps a per-sample trace when asked.
  const diffusion::GaussianDiffusion process(sampling_diffusion(bundle, settings));
  diffusion::SeededNoise noise(keys, {C, side, side});
  std::vector<std::vector<TraceStep>> traces(static_cast<std::size_t>(B));
  diffusion::StepCallback callback;
  if (settings.trace) {
    callback = [&](const diffusion::StepInfo& info) {
      const torch::Tensor x_t = info.x_t.cpu();
      const torch::Tensor pred = info.pred_xstart.cpu();
      for (int64_t b = 0; b < B; ++b) {
        TraceStep step;
        step.index = info.index;
        step.timestep = info.timestep;
        step.x_t = x_t[b].clone();
        step.pred_xstart = pred[b].clone();
        step.latent_norm = norm_of(step.x_t);
        if (options.mode_guidance.mode.defined()) {
          step.mode_distance = norm_of(step.pred_xstart - options.mode_guidance.mode[b].cpu());
        }
        step.guidance_norm = info.mode_shift_norm[b].item<double>();
        for (const torch::Tensor& map : info.attention) step.cross_attention.push_back(map[b].cpu());
        traces[static_cast<std::size_t>(b)].push_back(std::move(step));
      }
      return !job.cancelled();
    };
  }
  const torch::Tensor x_0 = diffusion::sample_loop(process, diffusion::make_dit_denoiser(model, y, text), noise,
                                                   options, bundle.device, callback, &job);  // [B, C, h, w]

  // Decode and collect.
  const torch::Tensor images = decode_latents(bundle, x_0, image_height, image_width);  // [B, C', H, W]
  std::vector<GeneratedSample> samples;
  for (int64_t b = 0; b < B; ++b) {
    GeneratedSample sample;
    sample.class_index = requests[b].class_index;
    sample.slot = requests[b].slot;
    sample.pipeline = pipeline;
    sample.latent = x_0[b].cpu();
    sample.image = images[b];
    sample.trace = std::move(traces[static_cast<std::size_t>(b)]);
    samples.push_back(std::move(sample));
  }
  return samples;
}

torch::Tensor decode_latents(const LoadedBundle& bundle, const torch::Tensor& latents, int64_t height, int64_t width) {
  torch::NoGradGuard no_grad;
  models::AutoencoderKL autoencoder = bundle.autoencoder;
  std::vector<torch::Tensor> images;
  for (int64_t begin = 0; begin < latents.size(0); begin += kEncodeBatch) {
    const int64_t end = std::min(latents.size(0), begin + kEncodeBatch);
    const torch::Tensor x = autoencoder->decode_latents(latents.slice(0, begin, end).to(bundle.device));  // [b, C', S, S]
    const int64_t size = x.size(2);
    images.push_back(data::from_model_output(x.cpu(), height > 0 ? height : size, width > 0 ? width : size));
  }
  return torch::cat(images);
}

std::vector<torch::Tensor> fusion_text_attention(const LoadedBundle& bundle, const ClassPrompts& prompts,
                                                 const torch::Tensor& latent, int64_t class_index) {
  torch::NoGradGuard no_grad;
  const torch::Tensor z = latent.unsqueeze(0).to(bundle.device);                         // [1, C, h, w]
  const torch::Tensor text = prompts.text_embeds.slice(0, class_index, class_index + 1);  // [1, T, D]
  models::FusionModule fusion = bundle.fusion;
  const models::FusionOutput out = fusion->forward(z, text, /*return_attention=*/true);
  const int64_t tokens = z.size(2) * z.size(3);
  std::vector<torch::Tensor> maps;
  for (const torch::Tensor& layer : out.attention) maps.push_back(layer[0].slice(2, tokens).cpu());  // [H, N, T]
  return maps;
}

}  // namespace evlf::distill
