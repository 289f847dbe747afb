// evlf bundle check PATH, and the `evlf train` group.
#include <iostream>

#include "app/cli/commands.h"
#include "core/distill/bundle.h"
#include "core/distill/bundle_classifier.h"
#include "core/runtime/device.h"

namespace evlf::cli {

void register_train(CLI::App& app, CommonOptions& common) {
  CLI::App* train = app.add_subcommand("train", "Train the components of a model bundle");
  train->require_subcommand(1);
  register_train_encoders(*train, common);
  register_train_diffusion(*train, common);
  register_train_classifier(*train, common);
}

void register_bundle(CLI::App& app, CommonOptions& common) {
  CLI::App* bundle = app.add_subcommand("bundle", "Work with model bundles");
  bundle->require_subcommand(1);
  CLI::App* check = bundle->add_subcommand("check", "Validate a bundle, load every model and print a summary");
  auto path = std::make_shared<std::string>();
  auto device = std::make_shared<std::string>("cpu");
  check->add_option("PATH", *path, "Bundle folder (holds bundle.json)")->required();
  check->add_option("--device", *device, "auto, cpu, cuda or cuda:N");
  check->callback([&common, path, device] {
    apply_common(common);
    const distill::LoadedBundle loaded = distill::load_bundle(*path, choose_device(*device));
    std::cout << distill::bundle_summary(loaded);
    const auto classifier = distill::load_bundle_classifier(loaded.manifest, loaded.device);
    if (classifier) {
      std::cout << "  classifier: " << classifier->options.model.to_string() << '\n';
    } else {
      std::cout << "  classifier: none (evlf quality needs one: evlf train classifier)\n";
    }
    std::cout << "bundle OK\n";
  });
}

}  // namespace evlf::cli
