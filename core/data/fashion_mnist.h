// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) as shipped by Debian's
// dataset-fashion-mnist package: four gzip IDX files, 28x28 grey images.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/data/idx.h"

namespace evlf::data {

enum class Split { Train, Test };

/// The ten class names, in label order.
const std::vector<std::string>& fashion_mnist_class_names();

/// The folder holding the four IDX files: $EVLF_FASHION_MNIST_DIR when set,
/// else /usr/share/datasets/fashion-mnist; nullopt when the files are absent.
std::optional<std::filesystem::path> find_fashion_mnist();

/// Loads one split from `folder`. Throws evlf::Error naming the missing file
/// and the package to install.
LabeledImages load_fashion_mnist(const std::filesystem::path& folder, Split split);

}  // namespace evlf::data
