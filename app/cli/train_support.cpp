#include "app/cli/train_support.h"

#include <fstream>
#include <iostream>

#include "app/cli/interrupt.h"
#include "app/cli/terminal_progress.h"
#include "core/data/dataset.h"
#include "core/io/metrics_log.h"
#include "core/runtime/device.h"
#include "core/runtime/error.h"

namespace evlf::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

void add_train_flags(CLI::App* command, TrainFlags& flags) {
  command->add_option("--bundle", flags.bundle, "Bundle folder to build; components are added to its bundle.json")->required();
  command->add_option("--config", flags.config, "JSON file with \"model\" and \"train\" sections");
  command->add_option("--dataset", flags.dataset, "Training data: fashion-mnist or an ImageFolder path");
  command->add_option("--subset", flags.subset, "Use a class-balanced subset of this many training images (0 = all)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--steps", flags.steps, "Optimizer steps (epochs for fusion and classifier); overrides the config")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--batch-size", flags.batch_size, "Samples per step; overrides the config")->check(CLI::PositiveNumber);
  command->add_option("--lr", flags.learning_rate, "Learning rate; overrides the config")->check(CLI::PositiveNumber);
  command->add_option("--seed", flags.seed, "Seed of every random draw; overrides the config")->check(CLI::NonNegativeNumber);
  command->add_option("--metrics", flags.metrics, "Metrics log, .jsonl or .csv (default BUNDLE/metrics/COMMAND.jsonl)");
  command->add_option("--checkpoint", flags.checkpoint, "Checkpoint file (default BUNDLE/checkpoints/COMMAND.safetensors)");
  command->add_flag("--fresh", flags.fresh, "Start over even when a checkpoint exists");
  command->add_option("--device", flags.device, "auto, cpu, cuda or cuda:N");
}

TrainContext make_train_context(const std::string& name, const TrainFlags& flags) {
  TrainContext context;
  context.flags = flags;
  context.name = name;
  context.bundle = flags.bundle;
  context.device = choose_device(flags.device);

  // Config file, then flag overrides.
  if (!flags.config.empty()) {
    std::ifstream in(flags.config);
    if (!in) throw Error("config file '" + flags.config + "' not found");
    json config;
    try {
      config = json::parse(in);
    } catch (const json::parse_error& error) {
      throw Error("config file '" + flags.config + "' is not valid JSON: " + error.what());
    }
    if (config.contains("model")) context.model = config["model"];
    if (config.contains("train")) context.train = config["train"];
  }
  const bool counts_epochs = name == "fusion" || name == "classifier";
  if (flags.steps >= 0) context.train[counts_epochs ? "epochs" : "steps"] = flags.steps;
  if (flags.batch_size > 0) context.train["batch_size"] = flags.batch_size;
  if (flags.learning_rate > 0) context.train["learning_rate"] = flags.learning_rate;
  if (flags.seed >= 0) context.train["seed"] = flags.seed;

  // Folders.
  fs::create_directories(context.bundle);
  context.checkpoint = flags.checkpoint.empty() ? context.bundle / "checkpoints" / (name + ".safetensors") : fs::path(flags.checkpoint);
  context.metrics = flags.metrics.empty() ? context.bundle / "metrics" / (name + ".jsonl") : fs::path(flags.metrics);
  fs::create_directories(context.checkpoint.parent_path());
  fs::create_directories(context.metrics.parent_path());
  if (flags.fresh && fs::exists(context.checkpoint)) fs::remove(context.checkpoint);
  return context;
}

void run_training(TrainContext& context, const std::function<void(TrainContext&)>& body) {
  TerminalProgress progress;
  io::MetricsLog metrics(context.metrics);
  context.job.on_progress = [&](const ProgressEvent& event) {
    progress(event);
    if (!event.metrics.empty()) metrics.write(event.stage, event.step, event.metrics);
  };
  InterruptGuard interrupt(context.job.cancel);
  try {
    body(context);
  } catch (const CancelledError&) {
    progress.finish();
    std::cerr << "evlf: training cancelled; the checkpoint " << context.checkpoint.string()
              << " is valid, run the same command again to resume\n";
    throw;
  }
  progress.finish();
}

data::LabeledImages load_training_images(const TrainContext& context) {
  const data::LabeledImages set = data::load_dataset(data::parse_dataset_spec(context.flags.dataset));
  return data::balanced_subset(set, context.flags.subset);
}

io::BundleManifest read_partial_bundle(const TrainContext& context) {
  return io::read_bundle_manifest(context.bundle, /*require_all_roles=*/false);
}

void write_component(io::BundleManifest manifest, io::ComponentSpec spec) {
  manifest.components[spec.role] = std::move(spec);
  io::write_bundle_manifest(manifest);
}

void record_recipe(io::BundleManifest manifest, const std::string& name, const json& entry) {
  manifest.recipe[name] = entry;
  io::write_bundle_manifest(manifest);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace evlf::cli
