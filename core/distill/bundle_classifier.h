// The bundle's reference classifier: a ConvNet trained on the whole real
// training split and shipped with the bundle. Sample quality, coverage and
// the GUI's over-correction plot all use this one fixed network, so their
// figures are comparable between runs.
#pragma once

#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/eval/train_classifier.h"
#include "core/io/bundle_manifest.h"

namespace evlf::distill {

/// \brief A loaded reference classifier and how it normalises its input.
struct BundleClassifier {
  std::shared_ptr<eval::ClassifierImpl> network;  // in evaluation mode
  eval::TrainOptions options;                      // model, mean and std; the rest is unused
};

/// Reads the `config` object of a classifier component: the ConvNet's sizes and
/// the normalisation. Unknown fields are an error naming them.
eval::TrainOptions classifier_options_from_json(const nlohmann::json& config);
nlohmann::json classifier_config_to_json(const eval::TrainOptions& options);

/// Loads the bundle's classifier on `device`; returns nothing when the bundle has none.
/// Throws evlf::Error naming the bundle when its weights do not load, or
/// when its input or class count differs from the bundle's dataset.
std::optional<BundleClassifier> load_bundle_classifier(const io::BundleManifest& manifest,
                                                       torch::Device device = torch::kCPU);

/// Returns the class probabilities [N, K] of uint8 images [N, C, H, W], in batches.
torch::Tensor classify(const BundleClassifier& classifier, const torch::Tensor& images);

}  // namespace evlf::distill
