// The late- and early-fusion pipelines of DESIGN's data flow: encode the
// real set, discover modes per class, sample with guidance, decode.
//
// Symbols: N real images, K classes, C latent channels, h = w latent side,
// T text tokens, D text width, S samples in a request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data/idx.h"
#include "core/distill/bundle.h"
#include "core/runtime/progress.h"

namespace evlf::distill {

enum class PipelineKind { Late, Early };

std::string pipeline_name(PipelineKind kind);   // "late", "early"
PipelineKind parse_pipeline(const std::string& name);

/// \brief Text conditioning of every class, computed once per bundle.
struct ClassPrompts {
  std::vector<std::string> prompts;   // one per class, from the bundle's template
  std::vector<std::vector<std::string>> tokens;  // readable token strings per class, for attention views
  torch::Tensor token_ids;            // [K, T] int64
  torch::Tensor attention_mask;       // [K, T] int64
  torch::Tensor text_embeds;          // [K, T, D] last hidden state
  torch::Tensor pooled;               // [K, D]
};

ClassPrompts encode_prompts(const LoadedBundle& bundle);

/// Same, from the parts a training command has loaded.
ClassPrompts encode_prompts(const io::BundleManifest& manifest, const models::ClipTokenizer& tokenizer,
                            models::ClipTextEncoder& text_encoder, torch::Device device = torch::kCPU);

/// \brief Scaled latents of a labelled image set.
struct LatentSet {
  torch::Tensor latents;  // [N, C, h, w], times the scaling factor (posterior mean)
  torch::Tensor labels;   // [N] int64
};

/// Encodes `images` (uint8 [N, C', H, W]) in batches with the bundle's
/// autoencoder. With `cache_folder` set, the result is stored there under a
/// key made of the bundle's weights and the images, and reused when the key
/// matches.
LatentSet encode_images(const LoadedBundle& bundle, const data::LabeledImages& images,
                        const std::optional<std::filesystem::path>& cache_folder, const JobControl& job = {});

/// Fused latents z_alpha = z + alpha (fusion(z, text of its class) - z) [N, C, h, w].
torch::Tensor fuse_latents(const LoadedBundle& bundle, const ClassPrompts& prompts, const LatentSet& set,
                           double fusion_weight, const JobControl& job = {});

/// \brief Modes of one class: k-means centres in latent space.
struct ClassModes {
  int64_t class_index = 0;
  torch::Tensor centres;                 // [IPC, C, h, w]
  std::vector<int64_t> nearest_members;  // index into the real set of the member closest to each centre
};

/// k-means with k = IPC per requested class over flattened latents,
/// k-means++ seeded by `seed`. `closest_real` replaces each centre by the
/// closest real latent. Throws evlf::Error when a class has fewer than IPC
/// images.
std::vector<ClassModes> discover_modes(const torch::Tensor& latents, const torch::Tensor& labels,
                                       const std::vector<int64_t>& classes, int64_t ipc, uint64_t seed,
                                       bool closest_real, const JobControl& job = {});

/// \brief Sampling settings; defaults are the published values.
struct SamplingSettings {
  double fusion_weight = 1.0;  // alpha; 1 = EVLF as published
  double cfg_scale = 4.0;      // classifier-free guidance; 1 disables it
  int64_t cfg_channels = 0;    // guided channels; 0 = all, 3 = the reference DiT
  double mode_guidance = 0.1;  // lambda; 0 disables mode guidance
  int64_t stop_t = 25;         // mode guidance acts while the step index > stop_t
  int64_t steps = 50;          // respaced sampling steps
  std::string sampler = "ddpm";  // "ddpm" or "ddim"
  double eta = 0.0;            // DDIM stochasticity
  uint64_t seed = 0;           // base seed of every (class, slot) noise stream
  bool trace = false;          // report per-step previews and attention maps

  /// Throws evlf::Error naming the invalid field and its valid range.
  void validate() const;
  nlohmann::json to_json() const;
};

/// \brief One sample to generate: its class and its slot within the class.
struct SampleRequest {
  int64_t class_index = 0;
  int64_t slot = 0;
};

/// \brief One step of one sample's trajectory, for the timeline view.
struct TraceStep {
  int64_t index = 0;       // respaced index, N-1 .. 0
  int64_t timestep = 0;    // diffusion timestep the model saw
  torch::Tensor x_t;       // [C, h, w]
  torch::Tensor pred_xstart;  // [C, h, w]
  double latent_norm = 0.0;
  double mode_distance = 0.0;   // |pred_xstart - mode|
  double guidance_norm = 0.0;   // |mode-guidance shift|
  std::vector<torch::Tensor> cross_attention;  // per block [heads, patches, T] when the denoiser has text attention
};

/// \brief A generated sample with its provenance.
struct GeneratedSample {
  int64_t class_index = 0;
  int64_t slot = 0;
  PipelineKind pipeline = PipelineKind::Late;
  torch::Tensor latent;  // [C, h, w] x_0
  torch::Tensor image;   // [C', H, W] uint8, cropped to the dataset's native size
  std::vector<TraceStep> trace;  // empty unless settings.trace
};

/// Called after each sampling step with (step done, steps total).
using SampleStepCallback = std::function<void(int64_t done, int64_t total)>;

/// Generates `requests` with one pipeline. `modes` holds the modes of every
/// requested class for this pipeline (from z for late, from z_alpha for
/// early); slot s of class k is guided towards centre s. Each (seed, class,
/// slot) has its own noise stream, so a sample does not depend on the other
/// requests, and the late and early samples of one slot share their noise.
std::vector<GeneratedSample> generate_samples(const LoadedBundle& bundle, const ClassPrompts& prompts,
                                              PipelineKind pipeline, const std::vector<ClassModes>& modes,
                                              const std::vector<SampleRequest>& requests,
                                              const SamplingSettings& settings, const JobControl& job = {},
                                              int64_t image_height = 0, int64_t image_width = 0);

/// Decodes scaled latents [S, C, h, w] to uint8 images [S, C', H, W],
/// cropped to `height` x `width` (0 keeps the model size).
torch::Tensor decode_latents(const LoadedBundle& bundle, const torch::Tensor& latents, int64_t height = 0,
                             int64_t width = 0);

/// Early fusion attention of one class's prompt over a latent: per layer
/// [heads, h*w, T] text columns, for the attention view.
std::vector<torch::Tensor> fusion_text_attention(const LoadedBundle& bundle, const ClassPrompts& prompts,
                                                 const torch::Tensor& latent, int64_t class_index);

}  // namespace evlf::distill
