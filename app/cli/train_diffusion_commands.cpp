// evlf train denoiser | fusion | finetune-denoiser: the late-fusion DiT,
// the EVLF fusion module, and the early-fusion DiT fine-tuned on fused
// latents. Each reads the autoencoder and text encoder already in the bundle.
#include <iostream>

#include "app/cli/train_support.h"
#include "core/distill/bundle.h"
#include "core/distill/denoiser_trainer.h"
#include "core/distill/fusion_trainer.h"
#include "core/distill/pipeline.h"
#include "core/io/safetensors.h"
#include "core/runtime/error.h"

namespace evlf::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// The encoders of a partial bundle and the training latents they give.
struct EncodedTrainingSet {
  distill::LoadedBundle bundle;      // manifest, autoencoder, tokenizer, text encoder only
  distill::ClassPrompts prompts;
  distill::LatentSet latents;
};

EncodedTrainingSet encode_training_set(TrainContext& context) {
  EncodedTrainingSet set;
  set.bundle.manifest = read_partial_bundle(context);
  set.bundle.device = context.device;
  set.bundle.autoencoder = distill::load_bundle_autoencoder(set.bundle.manifest);
  set.bundle.autoencoder->to(context.device);
  set.bundle.tokenizer = distill::load_bundle_tokenizer(set.bundle.manifest);
  set.bundle.text_encoder = distill::load_bundle_text_encoder(set.bundle.manifest);
  set.bundle.text_encoder->to(context.device);
  set.prompts = distill::encode_prompts(set.bundle.manifest, *set.bundle.tokenizer, set.bundle.text_encoder, context.device);
  set.latents = distill::encode_images(set.bundle, load_training_images(context), context.bundle / "cache", context.job);
  return set;
}

distill::DenoiserTrainOptions denoiser_options(const TrainContext& context, const io::BundleManifest& manifest) {
  distill::DenoiserTrainOptions options;
  options.steps = train_value(context, "steps", int64_t(4000));
  options.batch_size = train_value(context, "batch_size", int64_t(128));
  options.learning_rate = train_value(context, "learning_rate", 3e-4);
  options.ema_decay = train_value(context, "ema_decay", 0.999);
  options.seed = train_value<uint64_t>(context, "seed", 0);
  options.minimax = train_value(context, "minimax", false);
  options.diffusion = distill::diffusion_options_from_json(manifest.diffusion);
  options.checkpoint_path = context.checkpoint;
  options.checkpoint_every = train_value(context, "checkpoint_every", int64_t(500));
  return options;
}

/// Writes a denoiser's weights as float16, which halves the bundle's size;
/// loading converts them back to float32.
void save_denoiser(io::BundleManifest manifest, const std::string& role, const models::DiT& model) {
  const fs::path path = manifest.folder / (role + ".safetensors");
  std::map<std::string, torch::Tensor> state = model->state();
  for (auto& [name, tensor] : state) {
    if (tensor.is_floating_point()) tensor = tensor.to(torch::kHalf);
  }
  io::save_safetensors(path, state);
  io::ComponentSpec spec;
  spec.role = role;
  spec.architecture = "dit";
  spec.key_layout = "dit";
  spec.weights = path;
  spec.config = distill::to_json(model->options());
  write_component(std::move(manifest), spec);
}

void train_denoiser_command(TrainContext& context) {
  const auto start = std::chrono::steady_clock::now();
  EncodedTrainingSet set = encode_training_set(context);
  const io::BundleManifest& manifest = set.bundle.manifest;

  // A text-conditioned DiT sized for the latents: late fusion through cross-attention.
  json model_config = {{"input_size", set.latents.latents.size(2)},
                       {"patch_size", 2},
                       {"in_channels", set.latents.latents.size(1)},
                       {"hidden_size", 256},
                       {"depth", 6},
                       {"num_heads", 4},
                       {"num_classes", static_cast<int64_t>(manifest.dataset.class_names.size())},
                       {"text_dim", set.prompts.text_embeds.size(2)}};
  model_config.update(context.model);
  torch::manual_seed(train_value<uint64_t>(context, "seed", 0));
  models::DiT model(distill::dit_options_from_json(model_config));
  model->to(context.device);
  models::DiT ema = models::clone_dit(model);

  const distill::DenoiserTrainOptions options = denoiser_options(context, manifest);
  const distill::DenoiserTrainData data{set.latents.latents.to(context.device), set.latents.labels.to(context.device),
                                        set.prompts.text_embeds.to(context.device)};
  const auto result = distill::train_denoiser(model, ema, data, options, context.job);
  std::cout << "denoiser_late: " << result.step << " steps, last loss "
            << (result.losses.empty() ? 0.0 : result.losses.back()) << "\n";

  save_denoiser(manifest, "denoiser_late", ema);
  record_recipe(read_partial_bundle(context), "denoiser_late",
                {{"options", options.to_string()}, {"subset", context.flags.subset}, {"seconds", seconds_since(start)}});
}

void train_fusion_command(TrainContext& context) {
  const auto start = std::chrono::steady_clock::now();
  EncodedTrainingSet set = encode_training_set(context);
  const io::BundleManifest& manifest = set.bundle.manifest;

  // Fusion module and projector sized for the latents and the text width.
  json model_config = {{"latent_channels", set.latents.latents.size(1)},
                       {"latent_size", set.latents.latents.size(2)},
                       {"text_dim", set.prompts.text_embeds.size(2)},
                       {"embed_dim", 128},
                       {"num_heads", 4},
                       {"num_layers", 2}};
  model_config.update(context.model);
  torch::manual_seed(train_value<uint64_t>(context, "seed", 0));
  models::FusionModule fusion(distill::fusion_options_from_json(model_config));
  distill::LatentProjectorOptions projector_options;
  projector_options.latent_channels = set.latents.latents.size(1);
  projector_options.text_dim = set.prompts.text_embeds.size(2);
  distill::LatentProjector projector(projector_options);
  fusion->to(context.device);
  projector->to(context.device);

  distill::FusionTrainingOptions options;
  options.epochs = train_value(context, "epochs", int64_t(2));
  options.batch_size = train_value(context, "batch_size", options.batch_size);
  options.seed = train_value<uint64_t>(context, "seed", options.seed);
  options.eos_id = set.bundle.tokenizer->end_of_text();
  options.checkpoint_path = context.checkpoint;
  options.checkpoint_every = train_value(context, "checkpoint_every", int64_t(500));
  const distill::FusionTrainingData data{set.latents.latents, set.latents.labels, set.prompts.text_embeds.cpu(),
                                         set.prompts.token_ids, set.prompts.attention_mask};
  const auto result = distill::train_fusion(fusion, projector, data, options, context.job);
  std::cout << "fusion: " << result.batches << " batches, final loss " << result.final_loss << "\n";

  fusion->eval();
  const fs::path path = manifest.folder / "fusion.safetensors";
  models::save_fusion_module(path, fusion);
  io::ComponentSpec spec;
  spec.role = "fusion";
  spec.architecture = "evlf_fusion";
  spec.key_layout = "evlf";
  spec.weights = path;
  spec.config = distill::to_json(fusion->options());
  write_component(manifest, spec);
  record_recipe(read_partial_bundle(context), "fusion",
                {{"options", options.to_string()}, {"subset", context.flags.subset}, {"seconds", seconds_since(start)}});
}

void finetune_denoiser_command(TrainContext& context) {
  const auto start = std::chrono::steady_clock::now();
  EncodedTrainingSet set = encode_training_set(context);
  set.bundle.fusion = distill::load_bundle_fusion(set.bundle.manifest);
  set.bundle.fusion->to(context.device);
  const double fusion_weight = train_value(context, "fusion_weight", 1.0);
  const torch::Tensor fused = distill::fuse_latents(set.bundle, set.prompts, set.latents, fusion_weight, context.job);

  // Start from the late denoiser; train biases, norms and embeddings only.
  models::DiT model = distill::load_bundle_denoiser(set.bundle.manifest, "denoiser_late");
  model->to(context.device);
  model->train();
  models::DiT ema = models::clone_dit(model);
  distill::DenoiserTrainOptions options = denoiser_options(context, set.bundle.manifest);
  options.fine_tune = true;
  options.steps = train_value(context, "steps", int64_t(1000));
  options.learning_rate = train_value(context, "learning_rate", 1e-3);
  const distill::DenoiserTrainData data{fused.to(context.device), set.latents.labels.to(context.device),
                                        set.prompts.text_embeds.to(context.device)};
  const auto result = distill::train_denoiser(model, ema, data, options, context.job);
  std::cout << "denoiser_early: " << result.step << " fine-tuning steps, last loss "
            << (result.losses.empty() ? 0.0 : result.losses.back()) << "\n";

  save_denoiser(set.bundle.manifest, "denoiser_early", ema);
  record_recipe(read_partial_bundle(context), "denoiser_early",
                {{"options", options.to_string()}, {"fusion_weight", fusion_weight}, {"subset", context.flags.subset},
                 {"seconds", seconds_since(start)}});
}

void add_command(CLI::App& train, CommonOptions& common, const std::string& name, const std::string& help,
                 void (*body)(TrainContext&)) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* command = train.add_subcommand(name, help);
  add_train_flags(command, *flags);
  command->callback([&common, flags, name, body] {
    apply_common(common);
    TrainContext context = make_train_context(name, *flags);
    run_training(context, body);
  });
}

}  // namespace

void register_train_diffusion(CLI::App& train, CommonOptions& common) {
  add_command(train, common, "denoiser", "Train the late-fusion DiT (text cross-attention) on the bundle's latents",
              train_denoiser_command);
  add_command(train, common, "fusion", "Train the EVLF fusion module on latents and class prompts", train_fusion_command);
  add_command(train, common, "finetune-denoiser",
              "Fine-tune the late denoiser's biases, norms and embeddings on fused latents (early fusion)",
              finetune_denoiser_command);
}

}  // namespace evlf::cli
