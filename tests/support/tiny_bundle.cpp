#include "tests/support/tiny_bundle.h"

#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data/fashion_mnist.h"
#include "core/data/idx.h"
#include "core/data/prompts.h"
#include "core/distill/bundle.h"
#include "core/io/bundle_manifest.h"
#include "core/io/safetensors.h"
#include "core/models/bpe_trainer.h"
#include "core/models/state_dict.h"

namespace evlf::test {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kImageSize = 32;   // autoencoder input side; 28-pixel images are padded to it
constexpr int64_t kLatentChannels = 4;
constexpr int64_t kTextWidth = 32;   // text encoder width, also the DiT and fusion text width
constexpr int64_t kContext = 16;     // tokenizer context length
constexpr int64_t kMinVocabulary = 514;  // byte symbols and the two special tokens

io::ComponentSpec component(const std::string& role, const std::string& architecture, const std::string& layout,
                            const fs::path& weights, nlohmann::json config) {
  io::ComponentSpec spec;
  spec.role = role;
  spec.architecture = architecture;
  spec.key_layout = layout;
  spec.weights = weights;
  spec.config = std::move(config);
  return spec;
}

}  // namespace

fs::path write_tiny_bundle(const fs::path& folder, uint64_t seed) {
  fs::create_directories(folder);
  torch::manual_seed(seed);
  io::BundleManifest manifest;
  manifest.folder = fs::absolute(folder).lexically_normal();
  manifest.name = "tiny";
  manifest.description = "Random weights for tests";
  manifest.dataset.name = "fashion-mnist";
  manifest.dataset.image_size = static_cast<int>(kImageSize);
  manifest.dataset.channels = 1;
  manifest.dataset.class_names = data::fashion_mnist_class_names();
  manifest.diffusion = {{"noise_schedule", "linear"}, {"diffusion_steps", 1000}};

  // Autoencoder: three levels, so 32-pixel images map to 8x8 latents.
  models::AutoencoderKLOptions autoencoder_options;
  autoencoder_options.in_channels = 1;
  autoencoder_options.out_channels = 1;
  autoencoder_options.block_out_channels = {8, 8, 8};
  autoencoder_options.layers_per_block = 1;
  autoencoder_options.latent_channels = kLatentChannels;
  autoencoder_options.norm_num_groups = 4;
  autoencoder_options.sample_size = kImageSize;
  models::AutoencoderKL autoencoder(autoencoder_options);
  io::save_safetensors(manifest.folder / "autoencoder.safetensors", models::state_dict(*autoencoder));
  manifest.components["autoencoder"] = component("autoencoder", "autoencoder_kl", "diffusers",
                                                 manifest.folder / "autoencoder.safetensors",
                                                 distill::to_json(autoencoder_options));

  // Tokenizer learned from the class prompts.
  const std::vector<std::string> prompts =
      data::build_prompts(manifest.dataset.prompt_template, manifest.dataset.class_names);
  models::BpeTrainerOptions bpe;
  bpe.vocab_size = kMinVocabulary + 64;
  bpe.min_frequency = 1;
  models::write_hf_tokenizer_files(manifest.folder / "tokenizer", models::train_bpe(prompts, bpe));
  io::ComponentSpec tokenizer;
  tokenizer.role = "tokenizer";
  tokenizer.architecture = "clip_bpe";
  tokenizer.key_layout = "hf";
  tokenizer.vocab = manifest.folder / "tokenizer" / "vocab.json";
  tokenizer.merges = manifest.folder / "tokenizer" / "merges.txt";
  tokenizer.config = {{"context_length", kContext}, {"padding", "eot"}};
  manifest.components["tokenizer"] = tokenizer;
  const auto loaded_tokenizer = distill::load_bundle_tokenizer(manifest);

  // Text encoder sized for the vocabulary.
  const nlohmann::json text_config = {{"vocab_size", loaded_tokenizer->vocab_size()},
                                      {"hidden_size", kTextWidth},
                                      {"intermediate_size", 2 * kTextWidth},
                                      {"num_layers", 1},
                                      {"num_heads", 2},
                                      {"context", kContext},
                                      {"bos_token_id", loaded_tokenizer->start_of_text()},
                                      {"eos_token_id", loaded_tokenizer->end_of_text()}};
  models::ClipTextEncoder text_encoder(distill::clip_text_options_from_json(text_config));
  io::save_safetensors(manifest.folder / "text_encoder.safetensors", models::state_dict(*text_encoder));
  manifest.components["text_encoder"] = component("text_encoder", "clip_text", "hf_clip",
                                                  manifest.folder / "text_encoder.safetensors",
                                                  distill::to_json(text_encoder->options()));

  // Denoisers: one DiT block each; the late one reads the text through cross-attention.
  for (const std::string role : {"denoiser_late", "denoiser_early"}) {
    models::DiTOptions options;
    options.input_size = kImageSize / 4;
    options.patch_size = 2;
    options.in_channels = kLatentChannels;
    options.hidden_size = 32;
    options.depth = 1;
    options.num_heads = 2;
    options.num_classes = static_cast<int64_t>(manifest.dataset.class_names.size());
    options.text_dim = role == "denoiser_late" ? kTextWidth : 0;
    models::DiT dit(options);
    const fs::path path = manifest.folder / (role + ".safetensors");
    io::save_safetensors(path, dit->state());
    manifest.components[role] = component(role, "dit", "dit", path, distill::to_json(options));
  }

  // Fusion module over the 8x8 latent grid.
  models::FusionModuleOptions fusion_options;
  fusion_options.latent_channels = kLatentChannels;
  fusion_options.embed_dim = 32;
  fusion_options.num_heads = 2;
  fusion_options.num_layers = 1;
  fusion_options.text_dim = kTextWidth;
  fusion_options.latent_size = kImageSize / 4;
  models::FusionModule fusion(fusion_options);
  models::save_fusion_module(manifest.folder / "fusion.safetensors", fusion);
  manifest.components["fusion"] = component("fusion", "evlf_fusion", "evlf", manifest.folder / "fusion.safetensors",
                                            distill::to_json(fusion_options));

  io::write_bundle_manifest(manifest);
  return folder;
}

void write_tiny_fashion_mnist(const fs::path& folder, int64_t per_class, uint64_t seed) {
  fs::create_directories(folder);
  const int64_t classes = static_cast<int64_t>(data::fashion_mnist_class_names().size());
  const int64_t side = 28;
  const int64_t count = classes * per_class;
  torch::manual_seed(seed);

  for (const std::string split : {"train", "t10k"}) {
    torch::Tensor labels = torch::arange(count, torch::kInt64) % classes;  // [N]
    torch::Tensor images = torch::randint(0, 60, {count, side, side}, torch::kInt64);  // [N, H, W] dark noise
    for (int64_t i = 0; i < count; ++i) {
      const int64_t row = 2 * labels[i].item<int64_t>() + 3;
      images[i].slice(0, row, row + 4).add_(160);  // a bright band whose row marks the class
    }
    images = images.clamp(0, 255).to(torch::kUInt8).contiguous();
    labels = labels.to(torch::kUInt8).contiguous();

    data::IdxArray image_file{{count, side, side}, {}};
    image_file.data.assign(images.data_ptr<uint8_t>(), images.data_ptr<uint8_t>() + images.numel());
    data::IdxArray label_file{{count}, {}};
    label_file.data.assign(labels.data_ptr<uint8_t>(), labels.data_ptr<uint8_t>() + labels.numel());
    data::write_idx(folder / (split + "-images-idx3-ubyte.gz"), image_file);
    data::write_idx(folder / (split + "-labels-idx1-ubyte.gz"), label_file);
  }
}

}  // namespace evlf::test
