#include "core/io/bundle_manifest.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/io/atomic_file.h"
#include "core/runtime/error.h"

namespace evlf::io {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// Architectures accepted for each role, and the key layouts each reads.
const std::map<std::string, std::vector<std::string>> kRoleArchitectures = {
    {"autoencoder", {"autoencoder_kl"}}, {"text_encoder", {"clip_text"}}, {"tokenizer", {"clip_bpe"}},
    {"denoiser_late", {"dit"}},          {"denoiser_early", {"dit"}},    {"fusion", {"evlf_fusion"}},
    {"classifier", {"convnet"}},
};
const std::map<std::string, std::vector<std::string>> kArchitectureLayouts = {
    {"autoencoder_kl", {"diffusers"}}, {"clip_text", {"hf_clip"}}, {"clip_bpe", {"hf", "openai"}},
    {"dit", {"dit"}},                  {"evlf_fusion", {"evlf"}},     {"convnet", {"dc"}},
};

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

/// Reads typed fields of one JSON object and names the full field path in errors.
class FieldReader {
 public:
  FieldReader(const json& object, std::string path, std::string bundle)
      : object_(object), path_(std::move(path)), bundle_(std::move(bundle)) {
    if (!object_.is_object()) fail(path_.empty() ? "the manifest" : path_, "must be a JSON object");
  }

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw Error("bundle '" + bundle_ + "': field '" + field + "' " + problem);
  }

  std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const json* find(const std::string& key) const {
    auto found = object_.find(key);
    return found == object_.end() ? nullptr : &*found;
  }

  std::string string(const std::string& key, const std::optional<std::string>& fallback = std::nullopt) const {
    const json* value = find(key);
    if (value == nullptr) {
      if (fallback) return *fallback;
      fail(field(key), "is missing");
    }
    if (!value->is_string()) fail(field(key), "must be a string, found " + value->dump());
    return value->get<std::string>();
  }

  double number(const std::string& key, std::optional<double> fallback = std::nullopt) const {
    const json* value = find(key);
    if (value == nullptr) {
      if (fallback) return *fallback;
      fail(field(key), "is missing");
    }
    if (!value->is_number()) fail(field(key), "must be a number, found " + value->dump());
    return value->get<double>();
  }

  int integer(const std::string& key, std::optional<int> fallback = std::nullopt) const {
    const json* value = find(key);
    if (value == nullptr) {
      if (fallback) return *fallback;
      fail(field(key), "is missing");
    }
    if (!value->is_number_integer()) fail(field(key), "must be an integer, found " + value->dump());
    return value->get<int>();
  }

  const json& object(const std::string& key, bool required) const {
    static const json kEmpty = json::object();
    const json* value = find(key);
    if (value == nullptr) {
      if (required) fail(field(key), "is missing");
      return kEmpty;
    }
    if (!value->is_object()) fail(field(key), "must be a JSON object");
    return *value;
  }

 private:
  const json& object_;
  std::string path_;
  std::string bundle_;
};

fs::path existing_file(const FieldReader& reader, const std::string& key, const fs::path& folder) {
  const std::string relative = reader.string(key);
  if (relative.empty()) reader.fail(reader.field(key), "is empty; name a file inside the bundle folder");
  const fs::path path = fs::path(relative).is_absolute() ? fs::path(relative) : folder / relative;
  if (!fs::is_regular_file(path)) {
    reader.fail(reader.field(key), "names '" + relative + "', which was not found at '" + path.string() + "'");
  }
  return path;
}

ComponentSpec read_component(const std::string& role, const json& value, const fs::path& folder,
                             const std::string& bundle) {
  const FieldReader reader(value, "components." + role, bundle);
  ComponentSpec spec;
  spec.role = role;

  // Architecture and key layout.
  const auto allowed = kRoleArchitectures.find(role);
  if (allowed == kRoleArchitectures.end()) {
    std::vector<std::string> roles;
    for (const auto& [name, _] : kRoleArchitectures) roles.push_back(name);
    reader.fail("components." + role, "is an unknown role; known roles: " + join(roles));
  }
  spec.architecture = reader.string("architecture");
  if (std::find(allowed->second.begin(), allowed->second.end(), spec.architecture) == allowed->second.end()) {
    reader.fail(reader.field("architecture"),
                "is '" + spec.architecture + "', an unknown architecture for this role; use " + join(allowed->second));
  }
  const auto& layouts = kArchitectureLayouts.at(spec.architecture);
  spec.key_layout = reader.string("key_layout", layouts.front());
  if (std::find(layouts.begin(), layouts.end(), spec.key_layout) == layouts.end()) {
    reader.fail(reader.field("key_layout"), "is '" + spec.key_layout + "'; use " + join(layouts));
  }

  // Files.
  if (spec.architecture == "clip_bpe") {
    spec.vocab = existing_file(reader, "vocab", folder);
    if (spec.key_layout == "hf") spec.merges = existing_file(reader, "merges", folder);
  } else {
    spec.weights = existing_file(reader, "weights", folder);
    spec.prefix = reader.string("prefix", std::string());
  }
  spec.config = reader.object("config", /*required=*/false);
  return spec;
}

}  // namespace

const std::vector<std::string>& required_bundle_roles() {
  static const std::vector<std::string> kRoles = {"autoencoder", "text_encoder", "tokenizer", "denoiser_late", "fusion"};
  return kRoles;
}

const ComponentSpec& BundleManifest::component(const std::string& role) const {
  auto found = components.find(role);
  if (found == components.end()) {
    throw Error("bundle '" + folder.string() + "' has no component '" + role + "'");
  }
  return found->second;
}

BundleManifest read_bundle_manifest(const fs::path& folder, bool require_all_roles) {
  const fs::path file = folder / "bundle.json";
  const std::string bundle = folder.string();
  if (!fs::is_directory(folder)) throw Error("bundle folder '" + bundle + "' not found");
  if (!fs::is_regular_file(file)) {
    throw Error("bundle '" + bundle + "' has no bundle.json; point --bundle at a folder made by the training commands");
  }

  // Syntax.
  json root;
  {
    std::ifstream in(file);
    try {
      root = json::parse(in);
    } catch (const json::parse_error& error) {
      throw Error("bundle '" + bundle + "': bundle.json is not valid JSON: " + error.what());
    }
  }
  const FieldReader top(root, "", bundle);

  // Header.
  BundleManifest manifest;
  manifest.folder = fs::absolute(folder).lexically_normal();
  if (top.string("format") != "evlf-bundle") top.fail("format", "must be \"evlf-bundle\"");
  const int version = top.integer("version");
  if (version != kBundleFormatVersion) {
    top.fail("version", "is " + std::to_string(version) + "; this program reads version " +
                            std::to_string(kBundleFormatVersion));
  }
  manifest.name = top.string("name");
  manifest.description = top.string("description", std::string());
  manifest.scaling_factor = top.number("scaling_factor");
  if (!(manifest.scaling_factor > 0.0)) top.fail("scaling_factor", "must be positive");

  // Dataset.
  const FieldReader dataset(top.object("dataset", /*required=*/true), "dataset", bundle);
  manifest.dataset.name = dataset.string("name");
  manifest.dataset.location = dataset.string("location", std::string());
  manifest.dataset.image_size = dataset.integer("image_size");
  manifest.dataset.channels = dataset.integer("channels");
  manifest.dataset.prompt_template = dataset.string("prompt_template");
  if (manifest.dataset.prompt_template.find("{}") == std::string::npos &&
      manifest.dataset.prompt_template.find("{class}") == std::string::npos) {
    dataset.fail("dataset.prompt_template", "has no {} placeholder for the class name");
  }
  if (manifest.dataset.image_size <= 0 || manifest.dataset.image_size % 8 != 0) {
    dataset.fail("dataset.image_size", "must be a positive multiple of 8");
  }
  if (manifest.dataset.channels != 1 && manifest.dataset.channels != 3) dataset.fail("dataset.channels", "must be 1 or 3");
  const json* names = dataset.find("class_names");
  if (names == nullptr || !names->is_array() || names->empty()) {
    dataset.fail("dataset.class_names", "must be a non-empty list of strings");
  }
  for (const auto& name : *names) {
    if (!name.is_string() || name.get<std::string>().empty()) dataset.fail("dataset.class_names", "must hold non-empty strings");
    manifest.dataset.class_names.push_back(name.get<std::string>());
  }

  // Components.
  const json& components = top.object("components", /*required=*/true);
  for (const auto& [role, value] : components.items()) {
    manifest.components[role] = read_component(role, value, manifest.folder, bundle);
  }
  for (const auto& role : required_bundle_roles()) {
    if (require_all_roles && !manifest.has(role)) top.fail("components." + role, "is missing; a bundle needs " + join(required_bundle_roles()));
  }

  manifest.diffusion = top.object("diffusion", /*required=*/false);
  manifest.recipe = top.object("recipe", /*required=*/false);
  return manifest;
}

json bundle_manifest_to_json(const BundleManifest& manifest) {
  auto relative = [&](const fs::path& path) { return fs::relative(path, manifest.folder).generic_string(); };
  json components = json::object();
  for (const auto& [role, spec] : manifest.components) {
    json item = {{"architecture", spec.architecture}, {"key_layout", spec.key_layout}, {"config", spec.config}};
    if (!spec.weights.empty()) item["weights"] = relative(spec.weights);
    if (!spec.prefix.empty()) item["prefix"] = spec.prefix;
    if (!spec.vocab.empty()) item["vocab"] = relative(spec.vocab);
    if (!spec.merges.empty()) item["merges"] = relative(spec.merges);
    components[role] = item;
  }
  json dataset = {{"name", manifest.dataset.name},
                  {"image_size", manifest.dataset.image_size},
                  {"channels", manifest.dataset.channels},
                  {"class_names", manifest.dataset.class_names},
                  {"prompt_template", manifest.dataset.prompt_template}};
  if (!manifest.dataset.location.empty()) dataset["location"] = manifest.dataset.location;
  return {{"format", "evlf-bundle"},
          {"version", kBundleFormatVersion},
          {"name", manifest.name},
          {"description", manifest.description},
          {"scaling_factor", manifest.scaling_factor},
          {"dataset", dataset},
          {"components", components},
          {"diffusion", manifest.diffusion},
          {"recipe", manifest.recipe}};
}

void write_bundle_manifest(const BundleManifest& manifest) {
  write_text_atomically(manifest.folder / "bundle.json", bundle_manifest_to_json(manifest).dump(2) + "\n");
}

}  // namespace evlf::io
