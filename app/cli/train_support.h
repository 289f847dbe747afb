// Shared parts of the `evlf train ...` commands: flags, config files, the
// bundle folder being built, metrics and checkpoints, Ctrl-C.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "app/cli/commands.h"
#include "core/data/idx.h"
#include "core/io/bundle_manifest.h"
#include "core/runtime/progress.h"

namespace evlf::cli {

/// \brief Flags every training command takes.
struct TrainFlags {
  std::string bundle;          // folder of the bundle being built
  std::string config;          // JSON file {"model": {...}, "train": {...}}
  std::string dataset = "fashion-mnist";
  int64_t subset = 0;          // balanced subset of the training split; 0 = all
  int64_t steps = -1;          // overrides train.steps (or epochs for fusion) when >= 0
  int64_t batch_size = -1;
  double learning_rate = -1.0;
  int64_t seed = -1;
  std::string metrics;         // .jsonl or .csv; default BUNDLE/metrics/COMMAND.jsonl
  std::string checkpoint;      // default BUNDLE/checkpoints/COMMAND.safetensors
  bool fresh = false;          // ignore an existing checkpoint
  std::string device = "auto";
};

/// Adds the shared flags to `command`.
void add_train_flags(CLI::App* command, TrainFlags& flags);

/// \brief What a training command works with once its flags are read.
struct TrainContext {
  TrainFlags flags;
  std::string name;                       // command name, e.g. "autoencoder"
  nlohmann::json model = nlohmann::json::object();  // "model" section of the config
  nlohmann::json train = nlohmann::json::object();  // "train" section, with flag overrides applied
  std::filesystem::path bundle;
  std::filesystem::path checkpoint;
  std::filesystem::path metrics;
  torch::Device device = torch::kCPU;
  JobControl job;
};

/// Reads the config file, applies flag overrides and prepares the folders.
TrainContext make_train_context(const std::string& name, const TrainFlags& flags);

/// Runs `body` with a terminal progress bar, a metrics log and Ctrl-C
/// handling. A cancelled run prints how to resume and raises CancelledError
/// again, which main turns into exit status 130.
void run_training(TrainContext& context, const std::function<void(TrainContext&)>& body);

/// Loads the training split named by the flags, as a balanced subset.
data::LabeledImages load_training_images(const TrainContext& context);

/// Reads the bundle under construction (roles may be missing).
io::BundleManifest read_partial_bundle(const TrainContext& context);

/// Adds or replaces a component and rewrites bundle.json atomically.
void write_component(io::BundleManifest manifest, io::ComponentSpec spec);

/// Records `entry` under recipe[name] in bundle.json.
void record_recipe(io::BundleManifest manifest, const std::string& name, const nlohmann::json& entry);

/// Returns context.train[key] when present, else `fallback`.
template <typename T>
T train_value(const TrainContext& context, const std::string& key, T fallback) {
  auto found = context.train.find(key);
  return found == context.train.end() ? fallback : found->template get<T>();
}

/// Seconds since `start`, for the recipe record.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace evlf::cli
