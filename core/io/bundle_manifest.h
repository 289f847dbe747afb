// Model bundles: a folder with bundle.json and the weight and tokenizer
// files it names. The manifest is validated on load; every error names the
// bundle and the JSON field. The format is documented in docs/bundle-format.md.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace evlf::io {

constexpr int kBundleFormatVersion = 1;

/// \brief One model of a bundle: architecture, options and weight file.
struct ComponentSpec {
  std::string role;                  // "autoencoder", "text_encoder", "tokenizer", "denoiser_late", …
  std::string architecture;          // "autoencoder_kl", "clip_text", "clip_bpe", "dit", "evlf_fusion"
  std::filesystem::path weights;     // absolute path of the safetensors file; empty for the tokenizer
  std::string key_layout;            // "diffusers", "hf_clip", "dit", "evlf"
  std::string prefix;                // key prefix inside the weight file, e.g. "vae."
  nlohmann::json config = nlohmann::json::object();  // architecture options; missing fields take defaults
  std::filesystem::path vocab;       // tokenizer only: vocab.json (or OpenAI's merges .txt.gz)
  std::filesystem::path merges;      // tokenizer only: merges.txt
};

/// \brief The dataset a bundle was trained on and its prompts.
struct DatasetSpec {
  std::string name;                  // "fashion-mnist" or "image-folder"
  std::string location;              // folder; empty = the default location of a named dataset
  int image_size = 32;               // side in pixels that the autoencoder sees
  int channels = 1;
  std::vector<std::string> class_names;
  std::string prompt_template = "a photo of a {}";
};

/// \brief A parsed and validated bundle.json.
struct BundleManifest {
  std::filesystem::path folder;
  std::string name;
  std::string description;
  DatasetSpec dataset;
  double scaling_factor = 1.0;       // multiplies autoencoder latents before diffusion
  std::map<std::string, ComponentSpec> components;
  nlohmann::json diffusion = nlohmann::json::object();  // schedule and sampling defaults
  nlohmann::json recipe = nlohmann::json::object();     // how the bundle was trained, for the record

  bool has(const std::string& role) const { return components.count(role) != 0; }
  /// Throws evlf::Error naming the role when it is absent.
  const ComponentSpec& component(const std::string& role) const;
};

/// Roles every bundle must have.
const std::vector<std::string>& required_bundle_roles();

/// Reads and validates `folder`/bundle.json: JSON syntax, format version,
/// required fields and roles, known architectures and key layouts, and the
/// presence of every named file. Throws evlf::Error naming the field.
/// `require_all_roles` = false accepts a bundle that training commands are
/// still filling.
BundleManifest read_bundle_manifest(const std::filesystem::path& folder, bool require_all_roles = true);

/// Serialises a manifest; paths are written relative to its folder.
nlohmann::json bundle_manifest_to_json(const BundleManifest& manifest);

/// Writes `manifest.folder`/bundle.json atomically.
void write_bundle_manifest(const BundleManifest& manifest);

}  // namespace evlf::io
