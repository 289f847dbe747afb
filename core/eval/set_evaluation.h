// Evaluation of distilled sets as the main job reports it: accuracy of
// classifiers trained on each set, IOR against random real, and coverage
// against the real training set.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/data/idx.h"
#include "core/eval/metrics.h"
#include "core/eval/train_classifier.h"

namespace evlf::eval {

/// Reads an ImageFolder set written by the image-set writer (or any
/// ImageFolder tree) with the test set's channels and size, and orders its
/// labels like `class_names` (by the manifest's names when it has one, else
/// by folder order). Throws evlf::Error when the class counts differ.
LabelledSet read_labelled_set(const std::filesystem::path& folder, const std::vector<std::string>& class_names,
                              int64_t channels, int64_t image_size);

/// \brief A feature network and the real reference features for PRDC.
struct FeatureSpace {
  std::shared_ptr<ClassifierImpl> network;
  TrainOptions options;
  torch::Tensor real_features;  // [Nr, F]
  double test_accuracy = 0.0;   // of the feature network on the test split
};

/// Trains a ConvNet-3 on `real_train_count` balanced real training images
/// for `epochs` epochs and embeds `real_reference_count` other real images.
FeatureSpace build_feature_space(const data::LabeledImages& train, const data::LabeledImages& test,
                                 int64_t real_train_count, int64_t real_reference_count, int64_t epochs, uint64_t seed,
                                 const JobControl& job = {});

/// A feature space from an already trained network (a bundle's reference
/// classifier): embeds `reference_images` [N, C, H, W] as the real reference
/// and measures the network's accuracy on `test`.
FeatureSpace feature_space_from_network(std::shared_ptr<ClassifierImpl> network, const TrainOptions& options,
                                        const torch::Tensor& reference_images, const LabelledSet& test);

/// PRDC of `set` against the feature space's real reference.
Prdc set_prdc(const FeatureSpace& space, const LabelledSet& set, int64_t k = 5);

}  // namespace evlf::eval
