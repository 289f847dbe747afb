// evlf main-job: the README's first command. Distils the embedded bundle's
// dataset with the late and early pipelines, draws the random-real
// baseline, evaluates all three under the same protocol and prints one table.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/cli/commands.h"
#include "app/cli/distill_support.h"
#include "app/cli/interrupt.h"
#include "app/cli/terminal_progress.h"
#include "core/data/dataset.h"
#include "core/distill/bundle_classifier.h"
#include "core/eval/set_evaluation.h"
#include "core/io/atomic_file.h"
#include "core/runtime/error.h"

namespace evlf::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// \brief Settings of the main job beyond sampling and evaluation.
struct MainJobFlags {
  std::string out = "build/main-job";
  int64_t feature_train_images = 5000;   // real images for the coverage feature network
  int64_t feature_reference_images = 1000;  // real images the coverage is measured against
  int64_t feature_epochs = 5;
};

struct SetRow {
  std::string name;
  EvaluationSummary summary;
  eval::Prdc prdc;
  std::optional<eval::AccuracyDifference> ior;
};

std::string percent(double value) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(2) << 100.0 * value;
  return text.str();
}

std::string results_table(const std::vector<SetRow>& rows, const SamplingFlags& sampling, const EvaluationFlags& evaluation) {
  std::ostringstream table;
  table << "| set | IPC | accuracy (%) | IOR (%) | coverage | precision | density |\n"
        << "|---|---|---|---|---|---|---|\n";
  for (const SetRow& row : rows) {
    table << "| " << row.name << " | " << sampling.ipc << " | " << percent(row.summary.result.mean) << " ± "
          << percent(row.summary.result.std) << " | "
          << (row.ior ? percent(row.ior->mean) + " ± " + percent(row.ior->std) : std::string("—")) << " | "
          << std::fixed << std::setprecision(3) << row.prdc.coverage << " | " << row.prdc.precision << " | "
          << row.prdc.density << " |\n";
  }
  table << "\n" << evaluation.model << ", " << evaluation.epochs << " epochs, " << evaluation.repeats
        << " repeats per set, hard labels" << (evaluation.dsa ? ", DSA" : "") << "; sampling "
        << sampling.settings.to_json().dump() << "\n";
  return table.str();
}

void run_main_job(const SamplingFlags& sampling, const EvaluationFlags& evaluation, const MainJobFlags& flags,
                  const JobControl& job, TerminalProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path out = fs::absolute(flags.out);
  fs::create_directories(out);

  // Sets: late and early distilled, random real.
  const auto synthetic = run_distill(sampling, "both", out / "synthetic", job);
  const fs::path random_real = write_random_real(sampling.dataset, sampling.ipc, sampling.settings.seed, out / "random-real", job);
  const double generation_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Feature network for coverage: the bundle's reference classifier with
  // held-out test images as the reference, or else a ConvNet-3 trained here
  // on real images disjoint from the reference.
  const data::LabeledImages train = data::load_dataset(data::parse_dataset_spec(sampling.dataset));
  const data::LabeledImages test = data::load_dataset(data::parse_dataset_spec(evaluation.test, data::Split::Test));
  const auto classifier =
      distill::load_bundle_classifier(io::read_bundle_manifest(bundle_path(sampling.bundle)), torch::kCPU);
  const eval::FeatureSpace space =
      classifier ? eval::feature_space_from_network(
                       classifier->network, classifier->options,
                       data::balanced_subset(test, flags.feature_reference_images).images, {test.images, test.labels})
                 : eval::build_feature_space(train, test, flags.feature_train_images, flags.feature_reference_images,
                                             flags.feature_epochs, evaluation.seed, job);
  const std::string feature_network =
      classifier ? "the bundle's classifier, " + classifier->options.model.to_string() + ", against " +
                       std::to_string(flags.feature_reference_images) + " test images"
                 : "ConvNet-3 trained here on " + std::to_string(flags.feature_train_images) + " real images";

  // Accuracy and coverage of each set.
  std::vector<SetRow> rows;
  const std::vector<std::pair<std::string, fs::path>> sets = {
      {"random real", random_real}, {"late fusion", synthetic[0]}, {"early fusion (EVLF)", synthetic[1]}};
  for (const auto& [name, folder] : sets) {
    SetRow row;
    row.name = name;
    row.summary = evaluate_folder(folder, evaluation, job);
    const eval::LabelledSet set = eval::read_labelled_set(folder, test.class_names, test.images.size(1), test.images.size(2));
    row.prdc = eval::set_prdc(space, set);
    rows.push_back(std::move(row));
  }
  for (std::size_t i = 1; i < rows.size(); ++i) {
    rows[i].ior = eval::improvement_over_random(rows[i].summary.result.accuracies, rows[0].summary.result.accuracies);
  }
  progress.finish();

  // Report.
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string table = results_table(rows, sampling, evaluation) + "coverage feature network: " +
                            feature_network + "; its test accuracy " + percent(space.test_accuracy) + " %\n";
  std::cout << "\n" << table << "generation " << std::fixed << std::setprecision(0) << generation_seconds << " s, total " << seconds
            << " s\n";
  json results = {{"sampling", sampling.settings.to_json()}, {"ipc", sampling.ipc},
                  {"seconds", seconds}, {"generation_seconds", generation_seconds},
                  {"feature_network_test_accuracy", space.test_accuracy}};
  for (const SetRow& row : rows) {
    json item = evaluation_json(row.summary, evaluation);
    item["name"] = row.name;
    item["coverage"] = row.prdc.coverage;
    item["precision"] = row.prdc.precision;
    item["recall"] = row.prdc.recall;
    item["density"] = row.prdc.density;
    if (row.ior) item["ior"] = {{"mean", row.ior->mean}, {"std", row.ior->std}, {"per_repeat", row.ior->per_repeat}};
    results["sets"].push_back(item);
  }
  io::write_text_atomically(out / "results.json", results.dump(2) + "\n");
  io::write_text_atomically(out / "results.md", table);
  std::cout << "results: " << (out / "results.md").string() << '\n';
}

}  // namespace

void register_main_job(CLI::App& app, CommonOptions& common) {
  auto sampling = std::make_shared<SamplingFlags>();
  auto evaluation = std::make_shared<EvaluationFlags>();
  auto flags = std::make_shared<MainJobFlags>();
  CLI::App* command = app.add_subcommand(
      "main-job", "Distil with late and early fusion, evaluate both against random real, print one table");
  add_sampling_flags(command, *sampling);
  add_evaluation_flags(command, *evaluation);
  command->add_option("--out", flags->out, "Folder for the sets and results");
  command->add_option("--coverage-epochs", flags->feature_epochs, "Epochs of the coverage feature network")
      ->check(CLI::PositiveNumber);
  command->callback([&common, sampling, evaluation, flags] {
    apply_common(common);
    TerminalProgress progress;
    JobControl job;
    job.on_progress = progress_callback(progress);
    InterruptGuard interrupt(job.cancel);
    run_main_job(*sampling, *evaluation, *flags, job, progress);
  });
}

}  // namespace evlf::cli
