#include "core/data/image_folder.h"

#include <algorithm>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "core/runtime/error.h"

namespace evlf::data {
namespace fs = std::filesystem;

namespace {

/// Converts any decoded image to 8-bit with the requested channel count.
cv::Mat convert_image(const cv::Mat& decoded, int channels) {
  cv::Mat eight_bit;
  if (decoded.depth() == CV_16U) {
    decoded.convertTo(eight_bit, CV_8U, 1.0 / 257.0);
  } else if (decoded.depth() == CV_8U) {
    eight_bit = decoded;
  } else {
    cv::normalize(decoded, eight_bit, 0, 255, cv::NORM_MINMAX, CV_8U);
  }

  cv::Mat converted;
  const int source = eight_bit.channels();
  if (channels == 1) {
    if (source == 1) converted = eight_bit;
    else if (source == 3) cv::cvtColor(eight_bit, converted, cv::COLOR_BGR2GRAY);
    else cv::cvtColor(eight_bit, converted, cv::COLOR_BGRA2GRAY);
  } else {
    if (source == 1) cv::cvtColor(eight_bit, converted, cv::COLOR_GRAY2RGB);
    else if (source == 3) cv::cvtColor(eight_bit, converted, cv::COLOR_BGR2RGB);
    else cv::cvtColor(eight_bit, converted, cv::COLOR_BGRA2RGB);
  }
  return converted;
}

std::vector<fs::path> sorted_entries(const fs::path& folder, bool directories) {
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind('.', 0) == 0) continue;  // hidden
    if (directories ? entry.is_directory() : entry.is_regular_file()) entries.push_back(entry.path());
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

}  // namespace

ImageFolderSet read_image_folder(const fs::path& root, const ImageFolderOptions& options) {
  if (options.channels != 1 && options.channels != 3) {
    throw Error("invalid channel count " + std::to_string(options.channels) + " for ImageFolder; use 1 or 3");
  }
  if (!fs::is_directory(root)) throw Error("ImageFolder root '" + root.string() + "' not found or not a folder");
  const std::vector<fs::path> class_folders = sorted_entries(root, /*directories=*/true);
  if (class_folders.empty()) {
    throw Error("ImageFolder root '" + root.string() + "' has no class sub-folders; put each class's images in its own folder");
  }

  ImageFolderSet set;
  std::vector<torch::Tensor> images;
  std::vector<int64_t> labels;
  std::optional<cv::Size> size;
  if (options.size) size = cv::Size(*options.size, *options.size);

  for (std::size_t label = 0; label < class_folders.size(); ++label) {
    set.class_names.push_back(class_folders[label].filename().string());
    for (const fs::path& file : sorted_entries(class_folders[label], /*directories=*/false)) {
      const cv::Mat decoded = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
      if (decoded.empty()) {
        set.skipped.push_back({file, "not a readable image"});
        continue;
      }
      cv::Mat image = convert_image(decoded, options.channels);
      if (!size) size = image.size();
      if (image.size() != *size) {
        if (!options.size) {
          set.skipped.push_back({file, "size " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                                           " differs from " + std::to_string(size->width) + "x" +
                                           std::to_string(size->height) + "; pass a size to resize"});
          continue;
        }
        cv::resize(image, image, *size, 0, 0, cv::INTER_AREA);
      }
      torch::Tensor hwc = torch::from_blob(image.data, {image.rows, image.cols, image.channels()}, torch::kUInt8).clone();
      images.push_back(hwc.permute({2, 0, 1}));  // [C, H, W]
      labels.push_back(static_cast<int64_t>(label));
      set.files.push_back(file);
    }
  }

  if (images.empty()) {
    set.images = torch::empty({0, options.channels, size ? size->height : 0, size ? size->width : 0}, torch::kUInt8);
  } else {
    set.images = torch::stack(images);  // [N, C, H, W]
  }
  set.labels = torch::tensor(labels, torch::kInt64);
  return set;
}

}  // namespace evlf::data
