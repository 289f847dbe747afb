// evlf quality: the bundle's quality figures in one run. It generates IPC
// samples per class with each pipeline and scores them with the bundle's
// reference classifier: accuracy, and coverage per class against held-out
// real images next to a row of real training images. It also measures the
// autoencoder's reconstruction PSNR on the test split.
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/cli/commands.h"
#include "app/cli/distill_support.h"
#include "app/cli/interrupt.h"
#include "app/cli/terminal_progress.h"
#include "core/data/dataset.h"
#include "core/data/random_real.h"
#include "core/distill/autoencoder_trainer.h"
#include "core/distill/distill_job.h"
#include "core/distill/sample_quality.h"
#include "core/io/atomic_file.h"
#include "core/runtime/device.h"
#include "core/runtime/error.h"

namespace evlf::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int64_t kDefaultSamplesPerClass = 100;  // 1,000 samples per pipeline on Fashion-MNIST
constexpr uint64_t kReferenceStream = 1;          // seed offsets of the two real draws
constexpr uint64_t kRealBaselineStream = 2;

distill::LabelledImages stack_samples(const distill::PipelineSamples& set) {
  std::vector<torch::Tensor> images;
  std::vector<int64_t> labels;
  for (const auto& sample : set.samples) {
    images.push_back(sample.image);
    labels.push_back(sample.class_index);
  }
  return {torch::stack(images), torch::tensor(labels, torch::kLong)};
}

std::string percent(double value) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << 100.0 * value;
  return text.str();
}

std::string quality_table(const std::vector<distill::SetQuality>& rows, const std::vector<std::string>& class_names,
                          double psnr, int64_t psnr_images, const distill::SamplingSettings& settings) {
  std::ostringstream table;
  table << "| set | images | classifier accuracy (%) | own-class confidence | coverage | precision | density |\n"
        << "|---|---|---|---|---|---|---|\n";
  for (const auto& row : rows) {
    table << "| " << row.name << " | " << row.images << " | " << percent(row.accuracy) << " | " << std::fixed
          << std::setprecision(3) << row.mean_confidence << " | " << row.mean_prdc.coverage << " | "
          << row.mean_prdc.precision << " | " << row.mean_prdc.density << " |\n";
  }
  table << "\nCoverage per class:\n\n| class |";
  for (const auto& row : rows) table << ' ' << row.name << " |";
  table << "\n|---|";
  for (std::size_t i = 0; i < rows.size(); ++i) table << "---|";
  table << '\n';
  for (std::size_t c = 0; c < class_names.size(); ++c) {
    table << "| " << class_names[c] << " |";
    for (const auto& row : rows) table << ' ' << std::fixed << std::setprecision(3) << row.class_prdc[c].coverage << " |";
    table << '\n';
  }
  table << "\nautoencoder reconstruction PSNR: " << std::fixed << std::setprecision(2) << psnr << " dB over "
        << psnr_images << " test images\nsampling " << settings.to_json().dump() << "\n";
  return table.str();
}

json quality_json(const distill::SetQuality& row) {
  json item = {{"name", row.name},         {"images", row.images},
               {"accuracy", row.accuracy}, {"mean_confidence", row.mean_confidence},
               {"coverage", row.mean_prdc.coverage}, {"precision", row.mean_prdc.precision},
               {"recall", row.mean_prdc.recall},     {"density", row.mean_prdc.density},
               {"class_accuracy", row.class_accuracy}};
  for (const auto& prdc : row.class_prdc) item["class_coverage"].push_back(prdc.coverage);
  return item;
}

void run_quality(const SamplingFlags& sampling, const fs::path& out, const JobControl& job, TerminalProgress& progress) {
  const distill::LoadedBundle bundle = distill::load_bundle(bundle_path(sampling.bundle), choose_device(sampling.device));
  const auto classifier = distill::load_bundle_classifier(bundle.manifest, bundle.device);
  if (!classifier) {
    throw Error("bundle '" + bundle.manifest.folder.string() +
                "' has no classifier; train one first: evlf train classifier --bundle " +
                bundle.manifest.folder.string() + " --config resources/models/recipe/classifier.json");
  }

  // Samples of both pipelines, kept on disk for a look.
  distill::DistillOptions options = make_distill_options(bundle, sampling);
  options.output = out / "samples";
  options.pipelines = {distill::PipelineKind::Late, distill::PipelineKind::Early};
  const auto sets = distill::generate_distilled_sets(bundle, options, job);
  distill::write_distilled_sets(bundle, options, sets, job);

  // Real images: held-out test images as the reference, training images as a baseline set.
  const data::LabeledImages train = data::load_dataset(data::parse_dataset_spec(sampling.dataset));
  const data::LabeledImages test = data::load_dataset(data::parse_dataset_spec(sampling.dataset, data::Split::Test));
  const data::RandomRealSet reference = data::draw_random_real(test, sampling.ipc, sampling.settings.seed + kReferenceStream);
  const data::RandomRealSet baseline =
      data::draw_random_real(train, sampling.ipc, sampling.settings.seed + kRealBaselineStream);

  // Scores.
  const int64_t classes = bundle.num_classes();
  std::vector<distill::SetQuality> rows;
  rows.push_back(distill::measure_set_quality(*classifier, "real (training images)", {baseline.images, baseline.labels},
                                              {reference.images, reference.labels}, classes));
  for (const auto& set : sets) {
    rows.push_back(distill::measure_set_quality(*classifier, distill::pipeline_name(set.pipeline), stack_samples(set),
                                                {reference.images, reference.labels}, classes));
  }
  models::AutoencoderKL autoencoder = bundle.autoencoder;
  const double psnr = distill::reconstruction_psnr(autoencoder, test.images, bundle.manifest.dataset.image_size, job);
  progress.finish();

  // Report.
  const std::string table = quality_table(rows, test.class_names, psnr, test.images.size(0), sampling.settings);
  std::cout << '\n' << table;
  json report = {{"bundle", bundle.manifest.folder.string()}, {"samples_per_class", sampling.ipc},
                 {"sampling", sampling.settings.to_json()}, {"autoencoder_psnr_db", psnr},
                 {"psnr_images", test.images.size(0)}};
  for (const auto& row : rows) report["sets"].push_back(quality_json(row));
  io::write_text_atomically(out / "quality.json", report.dump(2) + "\n");
  io::write_text_atomically(out / "quality.md", table);
  std::cout << "report: " << (out / "quality.md").string() << '\n';
}

}  // namespace

void register_quality(CLI::App& app, CommonOptions& common) {
  auto sampling = std::make_shared<SamplingFlags>();
  sampling->ipc = kDefaultSamplesPerClass;
  auto out = std::make_shared<std::string>("build/quality");
  CLI::App* command = app.add_subcommand(
      "quality", "Judge both pipelines' samples with the bundle's classifier; coverage per class; autoencoder PSNR");
  add_sampling_flags(command, *sampling);
  command->add_option("--out", *out, "Folder for the samples and the report (quality.md, quality.json)");
  command->callback([&common, sampling, out] {
    apply_common(common);
    TerminalProgress progress;
    JobControl job;
    job.on_progress = progress_callback(progress);
    InterruptGuard interrupt(job.cancel);
    fs::create_directories(*out);
    run_quality(*sampling, fs::absolute(*out), job, progress);
  });
}

}  // namespace evlf::cli
