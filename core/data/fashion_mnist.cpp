#include "core/data/fashion_mnist.h"

#include <cstdlib>

#include "core/runtime/error.h"

namespace evlf::data {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDebianFolder = "/usr/share/datasets/fashion-mnist";

bool has_files(const fs::path& folder) {
  return fs::is_regular_file(folder / "train-images-idx3-ubyte.gz") &&
         fs::is_regular_file(folder / "train-labels-idx1-ubyte.gz") &&
         fs::is_regular_file(folder / "t10k-images-idx3-ubyte.gz") &&
         fs::is_regular_file(folder / "t10k-labels-idx1-ubyte.gz");
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> kNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                  "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return kNames;
}

std::optional<fs::path> find_fashion_mnist() {
  if (const char* override_dir = std::getenv("EVLF_FASHION_MNIST_DIR"); override_dir != nullptr && *override_dir) {
    return has_files(override_dir) ? std::optional<fs::path>(override_dir) : std::nullopt;
  }
  return has_files(kDebianFolder) ? std::optional<fs::path>(kDebianFolder) : std::nullopt;
}

LabeledImages load_fashion_mnist(const fs::path& folder, Split split) {
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  const fs::path images = folder / (prefix + "-images-idx3-ubyte.gz");
  const fs::path labels = folder / (prefix + "-labels-idx1-ubyte.gz");
  for (const auto& file : {images, labels}) {
    if (!fs::is_regular_file(file)) {
      throw Error("Fashion-MNIST file '" + file.string() +
                  "' not found; install the Debian package dataset-fashion-mnist or set EVLF_FASHION_MNIST_DIR");
    }
  }
  return load_idx_pair(images, labels, fashion_mnist_class_names());
}

}  // namespace evlf::data
