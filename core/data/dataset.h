// Named datasets for the command line and the GUI: "fashion-mnist" (Debian's
// package or $EVLF_FASHION_MNIST_DIR) or the path of an ImageFolder tree,
// optionally followed by ":train" or ":test".
#pragma once

#include <cstdint>
#include <string>

#include "core/data/fashion_mnist.h"
#include "core/data/image_folder.h"

namespace evlf::data {

/// \brief A parsed dataset specification such as "fashion-mnist:test".
struct DatasetSpec {
  std::string name;   // "fashion-mnist" or a folder path
  Split split = Split::Train;
};

/// Parses NAME[:train|:test]. Throws evlf::Error for another split name.
DatasetSpec parse_dataset_spec(const std::string& text, Split default_split = Split::Train);

/// Loads a dataset. An ImageFolder path with "train" and "test" sub-folders
/// uses the one the split names; otherwise the folder itself is the set.
/// `channels` and `size` apply to ImageFolder data. Throws evlf::Error
/// naming the dataset and the fix when it is missing.
LabeledImages load_dataset(const DatasetSpec& spec, int channels = 1, int size = 0);

/// A class-balanced subset of `count` images (count / K per class, the
/// first ones in order), or the whole set when count is 0 or larger.
LabeledImages balanced_subset(const LabeledImages& set, int64_t count);

}  // namespace evlf::data
