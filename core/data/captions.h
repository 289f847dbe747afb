// Captions for training the embedded bundle's text encoder: class names in
// several templates, with attributes measured from each image so captions
// carry more than the label.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

namespace evlf::data {

/// \brief Attributes measured from one grey image.
struct ImageAttributes {
  double brightness = 0.0;  // mean intensity of foreground pixels, 0..1
  double coverage = 0.0;    // fraction of pixels above the foreground threshold, 0..1
};

/// Measures attributes of images [N, 1, H, W] uint8.
std::vector<ImageAttributes> measure_attributes(const torch::Tensor& images);

/// Words for the attributes relative to the class's median: "dark"/"light"
/// and "small"/"large", or empty strings near the median.
struct AttributeWords {
  std::string tone;
  std::string size;
};

std::vector<AttributeWords> describe_attributes(const std::vector<ImageAttributes>& attributes,
                                                const torch::Tensor& labels, int64_t num_classes);

/// Templates used for captions; the first is the bundle's prompt template.
const std::vector<std::string>& caption_templates();

/// Builds one caption for an image: a template chosen by `variant`, the
/// class name, and with probability about one half its attribute words.
std::string build_caption(const std::string& class_name, const AttributeWords& words, uint64_t variant);

/// The lower-cased class name used inside captions ("T-shirt/top" -> "t-shirt or top").
std::string caption_class_name(const std::string& class_name);

}  // namespace evlf::data
