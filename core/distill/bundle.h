// A loaded model bundle: every model of a bundle.json, built from the
// manifest's configuration and the sizes its weight files fix, on one device.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/diffusion/gaussian_diffusion.h"
#include "core/io/bundle_manifest.h"
#include "core/models/autoencoder_kl.h"
#include "core/models/clip_text_encoder.h"
#include "core/models/clip_tokenizer.h"
#include "core/models/dit.h"
#include "core/models/fusion_module.h"
#include "core/runtime/progress.h"

namespace evlf::distill {

/// \brief Every model of a bundle, in evaluation mode on `device`.
struct LoadedBundle {
  io::BundleManifest manifest;
  torch::Device device = torch::kCPU;
  models::AutoencoderKL autoencoder{nullptr};
  models::ClipTextEncoder text_encoder{nullptr};
  std::shared_ptr<models::ClipTokenizer> tokenizer;
  models::DiT denoiser_late{nullptr};
  models::FusionModule fusion{nullptr};
  models::DiT denoiser_early{nullptr};  // equals denoiser_late when the bundle has none
  bool has_early_denoiser = false;
  diffusion::DiffusionOptions diffusion;  // training process; sampling respaces it

  int64_t latent_channels() const;
  int64_t latent_size() const;
  int64_t num_classes() const { return static_cast<int64_t>(manifest.dataset.class_names.size()); }
};

/// Loads and checks every component. Throws evlf::Error naming the bundle,
/// the component and the problem (missing file, wrong shape, unknown
/// architecture, inconsistent sizes between components).
LoadedBundle load_bundle(const std::filesystem::path& folder, torch::Device device = torch::kCPU);

/// Loaders of single components from a (possibly partial) manifest, for the
/// training commands that build a bundle one component at a time. Errors
/// name the bundle and the role.
models::AutoencoderKL load_bundle_autoencoder(const io::BundleManifest& manifest);
std::shared_ptr<models::ClipTokenizer> load_bundle_tokenizer(const io::BundleManifest& manifest);
models::ClipTextEncoder load_bundle_text_encoder(const io::BundleManifest& manifest);
models::DiT load_bundle_denoiser(const io::BundleManifest& manifest, const std::string& role);
models::FusionModule load_bundle_fusion(const io::BundleManifest& manifest);

/// Multi-line summary for `evlf bundle check` and the GUI: each component's
/// architecture, configuration and parameter count.
std::string bundle_summary(const LoadedBundle& bundle);

/// Options of each architecture from a manifest's `config` object; missing
/// fields keep the defaults, unknown fields are an error naming them.
models::AutoencoderKLOptions autoencoder_options_from_json(const nlohmann::json& config);
models::ClipTextOptions clip_text_options_from_json(const nlohmann::json& config);
models::DiTOptions dit_options_from_json(const nlohmann::json& config);
models::FusionModuleOptions fusion_options_from_json(const nlohmann::json& config);
diffusion::DiffusionOptions diffusion_options_from_json(const nlohmann::json& config);

nlohmann::json to_json(const models::AutoencoderKLOptions& options);
nlohmann::json to_json(const models::ClipTextOptions& options);
nlohmann::json to_json(const models::DiTOptions& options);
nlohmann::json to_json(const models::FusionModuleOptions& options);

}  // namespace evlf::distill
