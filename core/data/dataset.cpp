#include "core/data/dataset.h"

#include <torch/torch.h>

#include "core/runtime/error.h"

namespace evlf::data {
namespace fs = std::filesystem;

DatasetSpec parse_dataset_spec(const std::string& text, Split default_split) {
  DatasetSpec spec{text, default_split};
  const std::size_t colon = text.rfind(':');
  if (colon != std::string::npos) {
    const std::string split = text.substr(colon + 1);
    if (split == "train" || split == "test") {
      spec.name = text.substr(0, colon);
      spec.split = split == "train" ? Split::Train : Split::Test;
    } else if (text.find('/') == std::string::npos) {
      throw Error("unknown split '" + split + "' in dataset '" + text + "'; use NAME, NAME:train or NAME:test");
    }
  }
  if (spec.name.empty()) throw Error("empty dataset name; use fashion-mnist or the path of an ImageFolder tree");
  return spec;
}

LabeledImages load_dataset(const DatasetSpec& spec, int channels, int size) {
  if (spec.name == "fashion-mnist") {
    const auto folder = find_fashion_mnist();
    if (!folder) {
      throw Error("Fashion-MNIST not found; install the Debian package dataset-fashion-mnist "
                  "or set EVLF_FASHION_MNIST_DIR to a folder with its four IDX files");
    }
    return load_fashion_mnist(*folder, spec.split);
  }

  const fs::path root(spec.name);
  if (!fs::is_directory(root)) {
    throw Error("dataset '" + spec.name + "' not found: use fashion-mnist or the path of an ImageFolder tree");
  }
  const fs::path split_folder = root / (spec.split == Split::Train ? "train" : "test");
  ImageFolderOptions options;
  options.channels = channels;
  if (size > 0) options.size = size;
  ImageFolderSet set = read_image_folder(fs::is_directory(split_folder) ? split_folder : root, options);
  return static_cast<LabeledImages>(set);
}

LabeledImages balanced_subset(const LabeledImages& set, int64_t count) {
  const int64_t classes = static_cast<int64_t>(std::max<std::size_t>(1, set.class_names.size()));
  if (count <= 0 || count >= set.images.size(0)) return set;
  const int64_t per_class = std::max<int64_t>(1, count / classes);
  std::vector<torch::Tensor> picks;
  for (int64_t k = 0; k < classes; ++k) {
    const torch::Tensor members = (set.labels == k).nonzero().flatten();
    picks.push_back(members.slice(0, 0, std::min(per_class, members.size(0))));
  }
  const torch::Tensor index = std::get<0>(torch::cat(picks).sort());
  return {set.images.index_select(0, index), set.labels.index_select(0, index), set.class_names};
}

}  // namespace evlf::data
