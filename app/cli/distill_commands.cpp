// evlf distill | sample-real | evaluate: build distilled sets with the late
// and early pipelines, draw the random-real baseline, and evaluate a set.
#include <iomanip>
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/distill_support.h"
#include "app/cli/interrupt.h"
#include "app/cli/terminal_progress.h"
#include "core/data/dataset.h"
#include "core/data/random_real.h"
#include "core/distill/distill_job.h"
#include "core/eval/set_evaluation.h"
#include "core/io/atomic_file.h"
#include "core/io/data_paths.h"
#include "core/runtime/device.h"
#include "core/runtime/error.h"

namespace evlf::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

void add_sampling_flags(CLI::App* command, SamplingFlags& flags) {
  command->add_option("--bundle", flags.bundle, "Model bundle folder (default: the installed Fashion-MNIST bundle)");
  command->add_option("--ipc", flags.ipc, "Images per class")->check(CLI::PositiveNumber);
  command->add_option("--fusion-weight", flags.settings.fusion_weight,
                      "Fusion weight alpha in z + alpha (z_fused - z); 1 = EVLF as published");
  command->add_option("--cfg", flags.settings.cfg_scale, "Classifier-free guidance scale; 1 disables guidance");
  command->add_option("--cfg-channels", flags.settings.cfg_channels,
                      "Guided latent channels; 0 = all, 3 = the reference DiT");
  command->add_option("--mode-guidance", flags.settings.mode_guidance, "Mode-guidance scale lambda; 0 disables it");
  command->add_option("--stop-t", flags.settings.stop_t, "Mode guidance acts while the step index is above this");
  command->add_option("--steps", flags.settings.steps, "Sampling steps");
  command->add_option("--sampler", flags.settings.sampler, "ddpm or ddim")->check(CLI::IsMember({"ddpm", "ddim"}));
  command->add_option("--eta", flags.settings.eta, "DDIM eta (0 = deterministic)");
  command->add_option("--seed", flags.settings.seed, "Base seed of every (class, slot) noise stream and of k-means");
  command->add_option("--classes", flags.classes, "Class indices or names to generate (default: all)")->delimiter(',');
  command->add_option("--dataset", flags.dataset, "Real training data: fashion-mnist or an ImageFolder path");
  command->add_flag("--closest-real-modes", flags.closest_real, "Use the real latent closest to each k-means centre as the mode");
  command->add_option("--device", flags.device, "auto, cpu, cuda or cuda:N");
}

distill::DistillOptions make_distill_options(const distill::LoadedBundle& bundle, const SamplingFlags& flags) {
  distill::DistillOptions options;
  options.ipc = flags.ipc;
  options.settings = flags.settings;
  options.dataset = flags.dataset;
  options.closest_real_modes = flags.closest_real;
  options.cache_folder = io::user_cache_folder() / "latents";
  const auto& names = bundle.manifest.dataset.class_names;
  for (const std::string& item : flags.classes) {
    const auto found = std::find(names.begin(), names.end(), item);
    if (found != names.end()) {
      options.classes.push_back(found - names.begin());
      continue;
    }
    try {
      std::size_t used = 0;
      const int64_t index = std::stoll(item, &used);
      if (used == item.size()) {
        options.classes.push_back(index);
        continue;
      }
    } catch (const std::exception&) {
    }
    std::string known;
    for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
    throw Error("unknown class '" + item + "'; use an index 0-" + std::to_string(names.size() - 1) + " or one of: " + known);
  }
  return options;
}

fs::path bundle_path(const std::string& flag) { return flag.empty() ? io::default_bundle_path() : fs::path(flag); }

std::vector<fs::path> run_distill(const SamplingFlags& flags, const std::string& pipeline, const fs::path& out,
                                  const JobControl& job) {
  const distill::LoadedBundle bundle = distill::load_bundle(bundle_path(flags.bundle), choose_device(flags.device));
  distill::DistillOptions options = make_distill_options(bundle, flags);
  options.output = out;
  if (pipeline == "both") options.pipelines = {distill::PipelineKind::Late, distill::PipelineKind::Early};
  else options.pipelines = {distill::parse_pipeline(pipeline)};
  const auto sets = distill::generate_distilled_sets(bundle, options, job);
  return distill::write_distilled_sets(bundle, options, sets, job);
}

fs::path write_random_real(const std::string& dataset, int64_t ipc, uint64_t seed, const fs::path& out,
                           const JobControl& job) {
  const data::LabeledImages train = data::load_dataset(data::parse_dataset_spec(dataset));
  const data::RandomRealSet set = data::draw_random_real(train, ipc, seed);
  io::ImageSetDescription description;
  description.class_names = train.class_names;
  description.parameters = {{"ipc", ipc}, {"pipeline", "random_real"}, {"dataset", dataset}};
  description.seeds = {{"draw", seed}};
  io::ImageSetWriter writer(out, description, job);
  for (int64_t i = 0; i < set.images.size(0); ++i) {
    io::ImageProvenance provenance;
    provenance.class_index = set.labels[i].item<int64_t>();
    provenance.slot = i % ipc;
    provenance.pipeline = "random_real";
    provenance.mode = "training image " + std::to_string(set.source_indices[i].item<int64_t>());
    writer.add(set.images[i], provenance);
  }
  writer.commit();
  return out;
}

EvaluationSummary evaluate_folder(const fs::path& folder, const EvaluationFlags& flags, const JobControl& job) {
  const data::DatasetSpec spec = data::parse_dataset_spec(flags.test, data::Split::Test);
  const data::LabeledImages test = data::load_dataset(spec);
  const eval::LabelledSet train = eval::read_labelled_set(folder, test.class_names, test.images.size(1), test.images.size(2));

  eval::TrainOptions options = eval::TrainOptions::FashionMnist();
  const int64_t classes = static_cast<int64_t>(test.class_names.size());
  options.model = flags.model == "resnet-ap10"
                      ? eval::ClassifierOptions::ResNetAP10(test.images.size(1), test.images.size(2), classes)
                      : eval::ClassifierOptions::ConvNet3(test.images.size(1), test.images.size(2), classes);
  options.epochs = flags.epochs;
  options.dsa = flags.dsa;
  options.seed = flags.seed;
  EvaluationSummary summary;
  summary.folder = folder;
  summary.images = train.images.size(0);
  summary.result = eval::evaluate_set(train, {test.images, test.labels}, options, flags.repeats, job);
  return summary;
}

void print_evaluation(const EvaluationSummary& summary) {
  std::cout << std::fixed << std::setprecision(2) << summary.folder.string() << ": " << summary.images
            << " images, accuracy " << 100 * summary.result.mean << " ± " << 100 * summary.result.std << " % (";
  for (std::size_t i = 0; i < summary.result.accuracies.size(); ++i) {
    std::cout << (i ? ", " : "") << 100 * summary.result.accuracies[i];
  }
  std::cout << ")\n";
}

json evaluation_json(const EvaluationSummary& summary, const EvaluationFlags& flags) {
  return {{"set", summary.folder.string()}, {"images", summary.images},  {"model", flags.model},
          {"epochs", flags.epochs},         {"repeats", flags.repeats}, {"dsa", flags.dsa},
          {"accuracies", summary.result.accuracies}, {"mean", summary.result.mean}, {"std", summary.result.std}};
}

void add_evaluation_flags(CLI::App* command, EvaluationFlags& flags) {
  command->add_option("--test", flags.test, "Test data: fashion-mnist:test or an ImageFolder path");
  command->add_option("--model", flags.model, "Evaluation network")->check(CLI::IsMember({"convnet3", "resnet-ap10"}));
  command->add_option("--repeats", flags.repeats, "Networks trained from scratch per set")->check(CLI::PositiveNumber);
  command->add_option("--epochs", flags.epochs, "Training epochs per network (protocol: 300)")->check(CLI::PositiveNumber);
  command->add_flag("--dsa", flags.dsa, "Train with DSA differentiable augmentation");
  command->add_option("--eval-seed", flags.seed, "Seed of the first network; repeat r uses seed + r");
}

void register_distill(CLI::App& app, CommonOptions& common) {
  // evlf distill
  auto flags = std::make_shared<SamplingFlags>();
  auto pipeline = std::make_shared<std::string>("both");
  auto out = std::make_shared<std::string>();
  CLI::App* distill = app.add_subcommand("distill", "Generate a distilled set with the late and/or early pipeline");
  add_sampling_flags(distill, *flags);
  distill->add_option("--pipeline", *pipeline, "late, early or both")->check(CLI::IsMember({"late", "early", "both"}));
  distill->add_option("--out", *out, "Output folder (written atomically)")->required();
  distill->callback([&common, flags, pipeline, out] {
    apply_common(common);
    TerminalProgress progress;
    JobControl job;
    job.on_progress = progress_callback(progress);
    InterruptGuard interrupt(job.cancel);
    const auto folders = run_distill(*flags, *pipeline, *out, job);
    progress.finish();
    for (const auto& folder : folders) std::cout << "wrote " << folder.string() << '\n';
  });

  // evlf sample-real
  auto real_ipc = std::make_shared<int64_t>(10);
  auto real_seed = std::make_shared<uint64_t>(0);
  auto real_dataset = std::make_shared<std::string>("fashion-mnist");
  auto real_out = std::make_shared<std::string>();
  CLI::App* sample_real = app.add_subcommand("sample-real", "Draw IPC random real training images per class (the baseline)");
  sample_real->add_option("--ipc", *real_ipc, "Images per class")->check(CLI::PositiveNumber);
  sample_real->add_option("--seed", *real_seed, "Seed of the draw");
  sample_real->add_option("--dataset", *real_dataset, "fashion-mnist or an ImageFolder path");
  sample_real->add_option("--out", *real_out, "Output folder (written atomically)")->required();
  sample_real->callback([&common, real_ipc, real_seed, real_dataset, real_out] {
    apply_common(common);
    JobControl job;
    InterruptGuard interrupt(job.cancel);
    std::cout << "wrote " << write_random_real(*real_dataset, *real_ipc, *real_seed, *real_out, job).string() << '\n';
  });

  // evlf evaluate
  auto eval_flags = std::make_shared<EvaluationFlags>();
  auto train_dir = std::make_shared<std::string>();
  auto result_file = std::make_shared<std::string>();
  CLI::App* evaluate = app.add_subcommand("evaluate", "Train classifiers from scratch on a set and test them on real data");
  evaluate->add_option("--train", *train_dir, "ImageFolder set to train on")->required()->check(CLI::ExistingDirectory);
  add_evaluation_flags(evaluate, *eval_flags);
  evaluate->add_option("--out", *result_file, "Write the accuracies as JSON to this file");
  evaluate->callback([&common, eval_flags, train_dir, result_file] {
    apply_common(common);
    TerminalProgress progress;
    JobControl job;
    job.on_progress = progress_callback(progress);
    InterruptGuard interrupt(job.cancel);
    const EvaluationSummary summary = evaluate_folder(*train_dir, *eval_flags, job);
    progress.finish();
    print_evaluation(summary);
    if (!result_file->empty()) io::write_text_atomically(*result_file, evaluation_json(summary, *eval_flags).dump(2) + "\n");
  });
}

}  // namespace evlf::cli
