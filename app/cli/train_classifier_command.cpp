// evlf train classifier: the bundle's reference classifier, a ConvNet-3
// trained on the whole real training split and tested on the test split.
// `evlf quality` and the coverage of `evlf main-job` read it.
#include <iomanip>
#include <iostream>

#include "app/cli/train_support.h"
#include "core/data/dataset.h"
#include "core/distill/bundle_classifier.h"
#include "core/io/safetensors.h"
#include "core/models/state_dict.h"
#include "core/runtime/error.h"

namespace evlf::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// The recipe: the DC evaluation settings, the ConvNet's sizes from the
/// config's "model" section, and the training images' own mean and std.
eval::TrainOptions classifier_train_options(const TrainContext& context, const data::LabeledImages& images,
                                            int64_t num_classes) {
  eval::TrainOptions options = eval::TrainOptions::FashionMnist();
  options.model = eval::ClassifierOptions::ConvNet3(images.images.size(1), images.images.size(2), num_classes);
  if (context.model.contains("width")) options.model.width = context.model["width"].get<int64_t>();
  if (context.model.contains("depth")) options.model.depth = context.model["depth"].get<int64_t>();
  const torch::Tensor pixels = images.images.to(torch::kFloat) / 255.0;  // [N, C, H, W]
  options.mean = {pixels.mean().item<double>()};
  options.std = {pixels.std().item<double>()};

  options.epochs = train_value(context, "epochs", int64_t(4));
  options.batch_size = train_value(context, "batch_size", options.batch_size);
  options.learning_rate = train_value(context, "learning_rate", options.learning_rate);
  options.seed = train_value<uint64_t>(context, "seed", options.seed);
  options.checkpoint_path = context.checkpoint;
  options.report_batches = true;
  return options;
}

void train_classifier_command(TrainContext& context) {
  const auto start = std::chrono::steady_clock::now();
  io::BundleManifest manifest = read_partial_bundle(context);
  const data::LabeledImages images = load_training_images(context);
  const data::LabeledImages test = data::load_dataset(data::parse_dataset_spec(context.flags.dataset, data::Split::Test));
  const auto num_classes = static_cast<int64_t>(manifest.dataset.class_names.size());
  if (static_cast<int64_t>(images.class_names.size()) != num_classes) {
    throw Error("dataset '" + context.flags.dataset + "' has " + std::to_string(images.class_names.size()) +
                " classes but bundle '" + context.bundle.string() + "' has " + std::to_string(num_classes) +
                "; train on the bundle's dataset");
  }

  // Training and test accuracy.
  const eval::TrainOptions options = classifier_train_options(context, images, num_classes);
  const eval::TrainResult result =
      eval::train_classifier({images.images, images.labels}, {test.images, test.labels}, options, context.job);
  std::cout << "classifier: " << options.epochs << " epochs on " << images.images.size(0)
            << " images, test accuracy " << std::fixed << std::setprecision(2) << 100.0 * result.test_accuracy
            << " % over " << test.images.size(0) << " test images\n";

  // Weights and manifest.
  const fs::path weights = manifest.folder / "classifier.safetensors";
  io::save_safetensors(weights, models::state_dict(*result.model));
  io::ComponentSpec spec;
  spec.role = "classifier";
  spec.architecture = "convnet";
  spec.key_layout = "dc";
  spec.weights = weights;
  spec.config = distill::classifier_config_to_json(options);
  manifest.components[spec.role] = spec;
  manifest.recipe["classifier"] = {{"options", options.to_string()},
                                   {"subset", context.flags.subset},
                                   {"test_accuracy", result.test_accuracy},
                                   {"test_images", test.images.size(0)},
                                   {"seconds", seconds_since(start)}};
  io::write_bundle_manifest(manifest);
}

}  // namespace

void register_train_classifier(CLI::App& train, CommonOptions& common) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* command = train.add_subcommand(
      "classifier", "Train the bundle's reference ConvNet-3 on the real training split (quality and coverage read it)");
  add_train_flags(command, *flags);
  command->callback([&common, flags] {
    apply_common(common);
    TrainContext context = make_train_context("classifier", *flags);
    run_training(context, train_classifier_command);
  });
}

}  // namespace evlf::cli
