#include "core/distill/bundle_classifier.h"

#include "core/io/safetensors.h"
#include "core/models/state_dict.h"
#include "core/runtime/error.h"

namespace evlf::distill {
using json = nlohmann::json;

namespace {

constexpr int64_t kBatch = 1024;

}  // namespace

json classifier_config_to_json(const eval::TrainOptions& options) {
  const eval::ClassifierOptions& m = options.model;
  return {{"in_channels", m.in_channels}, {"image_size", m.image_size}, {"num_classes", m.num_classes},
          {"width", m.width},             {"depth", m.depth},           {"mean", options.mean},
          {"std", options.std}};
}

std::optional<BundleClassifier> load_bundle_classifier(const io::BundleManifest& manifest, torch::Device device) {
  if (!manifest.has("classifier")) return std::nullopt;
  const io::ComponentSpec& spec = manifest.component("classifier");
  const std::string where = "bundle '" + manifest.folder.string() + "', component 'classifier': ";

  // Options, checked against the dataset.
  BundleClassifier classifier;
  try {
    classifier.options = classifier_options_from_json(spec.config);
  } catch (const Error& error) {
    throw Error(where + error.what());
  }
  const eval::ClassifierOptions& model = classifier.options.model;
  if (model.in_channels != manifest.dataset.channels ||
      model.num_classes != static_cast<int64_t>(manifest.dataset.class_names.size())) {
    throw Error(where + "classifies " + std::to_string(model.in_channels) + "-channel images into " +
                std::to_string(model.num_classes) + " classes but the dataset has " +
                std::to_string(manifest.dataset.channels) + " channels and " +
                std::to_string(manifest.dataset.class_names.size()) + " classes");
  }

  // Weights.
  classifier.network = eval::make_classifier(model);
  try {
    const io::SafetensorsFile file = io::SafetensorsFile::open(spec.weights);
    models::load_state_dict(*classifier.network, file.tensors(spec.prefix), "classifier");
  } catch (const Error& error) {
    throw Error(where + error.what());
  }
  classifier.network->to(device);
  classifier.network->eval();
  return classifier;
}

torch::Tensor classify(const BundleClassifier& classifier, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  const torch::Device device = classifier.network->parameters().front().device();
  std::vector<torch::Tensor> chunks;
  for (int64_t start = 0; start < images.size(0); start += kBatch) {
    const torch::Tensor x = eval::normalise_images(images.slice(0, start, start + kBatch), classifier.options);
    chunks.push_back(torch::softmax(classifier.network->forward(x.to(device)), 1).cpu());  // [B, K]
  }
  if (chunks.empty()) return torch::empty({0, classifier.options.model.num_classes});
  return torch::cat(chunks);
}

}  // namespace evlf::distill
