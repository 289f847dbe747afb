// evlf train autoencoder | text-encoder: the first two components of a
// bundle, trained on the dataset's training split.
#include <iostream>

#include "app/cli/train_support.h"
#include "core/data/captions.h"
#include "core/data/dataset.h"
#include "core/distill/autoencoder_trainer.h"
#include "core/distill/bundle.h"
#include "core/distill/text_encoder_trainer.h"
#include "core/io/safetensors.h"
#include "core/models/bpe_trainer.h"
#include "core/models/state_dict.h"
#include "core/runtime/error.h"

namespace evlf::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int64_t kScalingSampleCount = 2000;
constexpr int64_t kDefaultImageSize = 32;
constexpr int64_t kDefaultContextLength = 16;
constexpr int64_t kDefaultVocabularySize = 700;

/// The bundle's manifest, created with the dataset block on first use.
io::BundleManifest open_or_create_bundle(const TrainContext& context, const data::LabeledImages& images,
                                         int64_t image_size, const std::string& prompt_template) {
  if (fs::exists(context.bundle / "bundle.json")) return read_partial_bundle(context);
  io::BundleManifest manifest;
  manifest.folder = fs::absolute(context.bundle).lexically_normal();
  manifest.name = manifest.folder.filename().string();
  manifest.description = "Trained by evlf train on " + context.flags.dataset;
  manifest.dataset.name = context.flags.dataset;
  manifest.dataset.image_size = static_cast<int>(image_size);
  manifest.dataset.channels = static_cast<int>(images.images.size(1));
  manifest.dataset.class_names = images.class_names;
  manifest.dataset.prompt_template = prompt_template;
  manifest.diffusion = {{"noise_schedule", "linear"}, {"diffusion_steps", 1000}};
  return manifest;
}

void save_module(const fs::path& path, const torch::nn::Module& module) {
  io::save_safetensors(path, models::state_dict(module));
}

void train_autoencoder_command(TrainContext& context, const std::string& prompt_template) {
  const auto start = std::chrono::steady_clock::now();
  const data::LabeledImages images = load_training_images(context);
  const int64_t image_size = train_value<int64_t>(context, "image_size", kDefaultImageSize);
  io::BundleManifest manifest = open_or_create_bundle(context, images, image_size, prompt_template);

  // Model and options: the small grey preset, overridden by the config.
  json model_config = distill::to_json(models::AutoencoderKLOptions::small(images.images.size(1)));
  model_config.update(context.model);
  models::AutoencoderKLOptions model_options = distill::autoencoder_options_from_json(model_config);
  models::AutoencoderKL model(model_options);
  model->to(context.device);

  distill::AutoencoderTrainOptions options;
  options.steps = train_value(context, "steps", options.steps);
  options.batch_size = train_value(context, "batch_size", options.batch_size);
  options.learning_rate = train_value(context, "learning_rate", options.learning_rate);
  options.kl_weight = train_value(context, "kl_weight", options.kl_weight);
  options.seed = train_value<uint64_t>(context, "seed", options.seed);
  options.image_size = image_size;
  options.checkpoint_path = context.checkpoint;
  options.checkpoint_every = train_value(context, "checkpoint_every", options.checkpoint_every);
  const auto result = distill::train_autoencoder(model, images.images, options, context.job);

  // Scaling factor and test PSNR.
  const double std = distill::latent_std(model, images.images.slice(0, 0, kScalingSampleCount), image_size);
  const data::LabeledImages test = data::balanced_subset(
      data::load_dataset(data::parse_dataset_spec(context.flags.dataset + ":test")),
      train_value<int64_t>(context, "psnr_images", 0));
  const double psnr = distill::reconstruction_psnr(model, test.images, image_size, context.job);
  std::cout << "autoencoder: " << result.step << " steps, latent std " << std << ", test PSNR " << psnr << " dB over "
            << test.images.size(0) << " images\n";

  // Weights and manifest.
  manifest.scaling_factor = 1.0 / std;
  save_module(manifest.folder / "autoencoder.safetensors", *model);
  io::ComponentSpec spec;
  spec.role = "autoencoder";
  spec.architecture = "autoencoder_kl";
  spec.key_layout = "diffusers";
  spec.weights = manifest.folder / "autoencoder.safetensors";
  spec.config = distill::to_json(model_options);
  manifest.components[spec.role] = spec;
  manifest.recipe["autoencoder"] = {{"options", json::parse(options.to_string())}, {"steps", options.steps},
                                    {"subset", context.flags.subset},
                                    {"test_psnr_db", psnr}, {"test_images", test.images.size(0)},
                                    {"seconds", seconds_since(start)}};
  io::write_bundle_manifest(manifest);
}

/// Lists every caption the trainer can draw, as the corpus for learning the BPE merges.
std::vector<std::string> caption_corpus(const std::vector<std::string>& class_names) {
  std::vector<std::string> corpus;
  const std::vector<std::string> tones = {"", "dark", "light"};
  const std::vector<std::string> sizes = {"", "small", "large"};
  const uint64_t templates = data::caption_templates().size();
  for (const auto& name : class_names) {
    for (const auto& tone : tones) {
      for (const auto& size : sizes) {
        for (uint64_t variant = 0; variant < 2 * templates; ++variant) {
          corpus.push_back(data::build_caption(name, {tone, size}, variant));
        }
      }
    }
  }
  return corpus;
}

void train_text_encoder_command(TrainContext& context) {
  const auto start = std::chrono::steady_clock::now();
  io::BundleManifest manifest = read_partial_bundle(context);
  const data::LabeledImages images = load_training_images(context);

  // Tokenizer: BPE merges learned from the caption corpus.
  models::BpeTrainerOptions bpe_options;
  bpe_options.vocab_size = train_value(context, "vocab_size", kDefaultVocabularySize);
  const models::BpeVocabulary vocabulary = models::train_bpe(caption_corpus(images.class_names), bpe_options, context.job);
  const fs::path tokenizer_folder = manifest.folder / "tokenizer";
  models::write_hf_tokenizer_files(tokenizer_folder, vocabulary);
  io::ComponentSpec tokenizer_spec;
  tokenizer_spec.role = "tokenizer";
  tokenizer_spec.architecture = "clip_bpe";
  tokenizer_spec.key_layout = "hf";
  tokenizer_spec.vocab = tokenizer_folder / "vocab.json";
  tokenizer_spec.merges = tokenizer_folder / "merges.txt";
  tokenizer_spec.config = {{"context_length", train_value(context, "context_length", kDefaultContextLength)},
                           {"padding", "eot"}};
  manifest.components["tokenizer"] = tokenizer_spec;
  const auto tokenizer = distill::load_bundle_tokenizer(manifest);

  // Text encoder: a small CLIP text tower sized for the vocabulary.
  json model_config = {{"vocab_size", tokenizer->vocab_size()},
                       {"hidden_size", 128},
                       {"intermediate_size", 512},
                       {"num_layers", 3},
                       {"num_heads", 4},
                       {"context", tokenizer->options().context_length},
                       {"bos_token_id", tokenizer->start_of_text()},
                       {"eos_token_id", tokenizer->end_of_text()}};
  model_config.update(context.model);
  const models::ClipTextOptions model_options = distill::clip_text_options_from_json(model_config);
  torch::manual_seed(train_value<uint64_t>(context, "seed", 0));
  models::ClipTextEncoder encoder(model_options);
  encoder->to(context.device);

  distill::CaptionedImages data;
  data.images = images.images;
  data.labels = images.labels;
  data.class_names = images.class_names;
  data.attributes = data::describe_attributes(data::measure_attributes(images.images), images.labels,
                                              static_cast<int64_t>(images.class_names.size()));
  distill::TextEncoderTrainOptions options;
  options.steps = train_value(context, "steps", options.steps);
  options.batch_size = train_value(context, "batch_size", options.batch_size);
  options.learning_rate = train_value(context, "learning_rate", options.learning_rate);
  options.seed = train_value<uint64_t>(context, "seed", options.seed);
  options.image_size = manifest.dataset.image_size;
  options.checkpoint_path = context.checkpoint;
  const auto result = distill::train_text_encoder(encoder, *tokenizer, data, manifest.dataset.prompt_template, options,
                                                  context.job);
  std::cout << "text encoder: " << result.step << " steps, final loss " << result.final_loss
            << ", prompt retrieval accuracy " << result.retrieval_accuracy << "\n";

  // Weights and manifest.
  save_module(manifest.folder / "text_encoder.safetensors", *encoder);
  io::ComponentSpec spec;
  spec.role = "text_encoder";
  spec.architecture = "clip_text";
  spec.key_layout = "hf_clip";
  spec.weights = manifest.folder / "text_encoder.safetensors";
  spec.config = distill::to_json(model_options);
  manifest.components[spec.role] = spec;
  manifest.recipe["text_encoder"] = {{"options", json::parse(options.to_string())}, {"steps", options.steps},
                                     {"vocab_size", tokenizer->vocab_size()},
                                     {"prompt_retrieval_accuracy", result.retrieval_accuracy},
                                     {"seconds", seconds_since(start)}};
  io::write_bundle_manifest(manifest);
}

}  // namespace

void register_train_encoders(CLI::App& train, CommonOptions& common) {
  auto flags = std::make_shared<TrainFlags>();
  auto prompt_template = std::make_shared<std::string>("a photo of a {}");
  CLI::App* autoencoder = train.add_subcommand("autoencoder", "Train the bundle's AutoencoderKL (creates the bundle)");
  add_train_flags(autoencoder, *flags);
  autoencoder->add_option("--prompt-template", *prompt_template, "Class prompt template; {} is the class name");
  autoencoder->callback([&common, flags, prompt_template] {
    apply_common(common);
    TrainContext context = make_train_context("autoencoder", *flags);
    run_training(context, [&](TrainContext& c) { train_autoencoder_command(c, *prompt_template); });
  });

  auto text_flags = std::make_shared<TrainFlags>();
  CLI::App* text = train.add_subcommand("text-encoder", "Learn a BPE vocabulary and train the CLIP text encoder contrastively");
  add_train_flags(text, *text_flags);
  text->callback([&common, text_flags] {
    apply_common(common);
    TrainContext context = make_train_context("text-encoder", *text_flags);
    run_training(context, train_text_encoder_command);
  });
}

}  // namespace evlf::cli
