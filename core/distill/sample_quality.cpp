#include "core/distill/sample_quality.h"

#include "core/runtime/error.h"

namespace evlf::distill {

namespace {

/// Rows of `features` whose label is `c`: [n_c, F].
torch::Tensor class_rows(const torch::Tensor& features, const torch::Tensor& labels, int64_t c) {
  return features.index_select(0, labels.eq(c).nonzero().flatten());
}

void check_class_size(const std::string& set, int64_t c, int64_t count, int64_t k) {
  if (count <= k) {
    throw Error("set '" + set + "' has " + std::to_string(count) + " images of class " + std::to_string(c) +
                "; PRDC with k = " + std::to_string(k) + " needs at least " + std::to_string(k + 1) +
                " per class, so generate more samples");
  }
}

}  // namespace

SetQuality measure_set_quality(const BundleClassifier& classifier, const std::string& name, const LabelledImages& set,
                               const LabelledImages& reference, int64_t num_classes, int64_t k) {
  SetQuality quality;
  quality.name = name;
  quality.images = set.images.size(0);
  const torch::Tensor labels = set.labels.to(torch::kLong);

  // Classification: accuracy and confidence for the own class.
  const torch::Tensor probabilities = classify(classifier, set.images);  // [N, K]
  const torch::Tensor correct = probabilities.argmax(1).eq(labels).to(torch::kDouble);
  quality.accuracy = correct.mean().item<double>();
  quality.mean_confidence = probabilities.gather(1, labels.unsqueeze(1)).mean().item<double>();

  // Features of both sets in the classifier's embedding.
  const torch::Tensor features = eval::extract_features(*classifier.network, set.images, classifier.options);
  const torch::Tensor reference_features =
      eval::extract_features(*classifier.network, reference.images, classifier.options);
  const torch::Tensor reference_labels = reference.labels.to(torch::kLong);

  // Per class: accuracy and PRDC against the class's real reference.
  for (int64_t c = 0; c < num_classes; ++c) {
    const torch::Tensor own = labels.eq(c);
    const int64_t count = own.sum().item<int64_t>();
    check_class_size(name, c, count, k);
    check_class_size("reference", c, reference_labels.eq(c).sum().item<int64_t>(), k);
    quality.class_accuracy.push_back(correct.masked_select(own).mean().item<double>());
    quality.class_prdc.push_back(eval::compute_prdc(class_rows(reference_features, reference_labels, c),
                                                    class_rows(features, labels, c), k));
  }
  for (const eval::Prdc& prdc : quality.class_prdc) {
    quality.mean_prdc.precision += prdc.precision / static_cast<double>(num_classes);
    quality.mean_prdc.recall += prdc.recall / static_cast<double>(num_classes);
    quality.mean_prdc.density += prdc.density / static_cast<double>(num_classes);
    quality.mean_prdc.coverage += prdc.coverage / static_cast<double>(num_classes);
  }
  return quality;
}

}  // namespace evlf::distill
