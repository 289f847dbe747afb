// Quality of generated samples, judged by the bundle's reference
// classifier. Accuracy and confidence measure whether each sample looks
// like its class. PRDC per class, in the classifier's feature space against
// held-out real images, measures how much of the class's variety they cover.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/distill/bundle_classifier.h"
#include "core/eval/metrics.h"

namespace evlf::distill {

/// \brief Labelled uint8 images [N, C, H, W] with [N] class indices.
struct LabelledImages {
  torch::Tensor images;
  torch::Tensor labels;
};

/// \brief One set's scores; per-class vectors are indexed by class.
struct SetQuality {
  std::string name;                    // "late", "early", "real" ...
  int64_t images = 0;
  double accuracy = 0.0;               // share classified as their own class, in [0, 1]
  double mean_confidence = 0.0;        // mean probability of the own class
  std::vector<double> class_accuracy;
  std::vector<eval::Prdc> class_prdc;  // against the same class's real reference
  eval::Prdc mean_prdc;                // the per-class values averaged over classes
};

/// Scores `set` with `classifier`; `reference` contains held-out real images
/// of every class (its features are compared class by class). Throws
/// evlf::Error when a class has fewer than k + 1 images in either set.
SetQuality measure_set_quality(const BundleClassifier& classifier, const std::string& name, const LabelledImages& set,
                               const LabelledImages& reference, int64_t num_classes, int64_t k = 5);

}  // namespace evlf::distill
