#include "core/eval/set_evaluation.h"

#include <algorithm>

#include "core/data/dataset.h"
#include "core/data/image_folder.h"
#include "core/io/image_set_writer.h"
#include "core/runtime/error.h"

namespace evlf::eval {
namespace fs = std::filesystem;

LabelledSet read_labelled_set(const fs::path& folder, const std::vector<std::string>& class_names, int64_t channels,
                              int64_t image_size) {
  data::ImageFolderOptions options;
  options.channels = static_cast<int>(channels);
  options.size = static_cast<int>(image_size);
  const data::ImageFolderSet set = data::read_image_folder(folder, options);
  if (set.images.size(0) == 0) throw Error("training set '" + folder.string() + "' contains no readable image; check the folder has one sub-folder of PNG files per class");

  // Map folder labels to the test set's class order.
  std::vector<std::string> folder_names = set.class_names;
  if (fs::exists(folder / "manifest.json")) {
    const auto manifest = io::read_image_set_manifest(folder);
    if (manifest.contains("class_names")) folder_names = manifest["class_names"].get<std::vector<std::string>>();
  }
  if (folder_names.size() != class_names.size()) {
    throw Error("training set '" + folder.string() + "' has " + std::to_string(folder_names.size()) +
                " classes but the test set has " + std::to_string(class_names.size()));
  }
  std::vector<int64_t> mapping(folder_names.size());
  for (std::size_t i = 0; i < folder_names.size(); ++i) {
    const auto found = std::find(class_names.begin(), class_names.end(), folder_names[i]);
    mapping[i] = found == class_names.end() ? static_cast<int64_t>(i) : found - class_names.begin();
  }
  const torch::Tensor map = torch::tensor(mapping, torch::kInt64);
  return {set.images, map.index_select(0, set.labels)};
}

FeatureSpace build_feature_space(const data::LabeledImages& train, const data::LabeledImages& test,
                                 int64_t real_train_count, int64_t real_reference_count, int64_t epochs, uint64_t seed,
                                 const JobControl& job) {
  const int64_t classes = static_cast<int64_t>(train.class_names.size());
  FeatureSpace space;
  space.options = TrainOptions::FashionMnist();
  space.options.model = ClassifierOptions::ConvNet3(train.images.size(1), train.images.size(2), classes);
  space.options.epochs = epochs;
  space.options.seed = seed;

  // Disjoint real subsets: the first images of each class train the network,
  // the last ones form the reference set.
  const data::LabeledImages network_train = data::balanced_subset(train, real_train_count);
  std::vector<torch::Tensor> reference_rows;
  const int64_t per_class = std::max<int64_t>(1, real_reference_count / classes);
  for (int64_t k = 0; k < classes; ++k) {
    const torch::Tensor members = (train.labels == k).nonzero().flatten();
    reference_rows.push_back(members.slice(0, members.size(0) - std::min(per_class, members.size(0))));
  }
  const torch::Tensor reference = torch::cat(reference_rows);

  const int64_t test_count = std::min<int64_t>(2000, test.images.size(0));
  TrainResult result = train_classifier({network_train.images, network_train.labels},
                                        {test.images.slice(0, 0, test_count), test.labels.slice(0, 0, test_count)},
                                        space.options, job);
  space.network = result.model;
  space.test_accuracy = result.test_accuracy;
  space.real_features = extract_features(*space.network, train.images.index_select(0, reference), space.options);
  return space;
}

FeatureSpace feature_space_from_network(std::shared_ptr<ClassifierImpl> network, const TrainOptions& options,
                                        const torch::Tensor& reference_images, const LabelledSet& test) {
  FeatureSpace space;
  space.network = std::move(network);
  space.options = options;
  space.test_accuracy = test_accuracy(*space.network, test, options);
  space.real_features = extract_features(*space.network, reference_images, options);
  return space;
}

Prdc set_prdc(const FeatureSpace& space, const LabelledSet& set, int64_t k) {
  const torch::Tensor features = extract_features(*space.network, set.images, space.options);
  return compute_prdc(space.real_features, features, std::min<int64_t>(k, features.size(0) - 1));
}

}  // namespace evlf::eval
