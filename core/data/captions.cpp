#include "core/data/captions.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <torch/torch.h>

#include "core/data/prompts.h"

namespace evlf::data {
namespace {

constexpr int kForegroundThreshold = 32;  // of 255; Fashion-MNIST backgrounds are 0
constexpr double kQuantileLow = 0.3;      // below: "dark" / "small"
constexpr double kQuantileHigh = 0.7;     // above: "light" / "large"

}  // namespace

std::vector<ImageAttributes> measure_attributes(const torch::Tensor& images) {
  const torch::Tensor flat = images.flatten(1).to(torch::kFloat32) / 255.0;  // [N, HW]
  const torch::Tensor mask = (images.flatten(1) > kForegroundThreshold).to(torch::kFloat32);
  const torch::Tensor count = mask.sum(1);                                     // [N]
  const torch::Tensor brightness = (flat * mask).sum(1) / count.clamp_min(1);  // [N]
  const torch::Tensor coverage = count / static_cast<double>(flat.size(1));    // [N]

  std::vector<ImageAttributes> attributes(static_cast<std::size_t>(images.size(0)));
  const auto b = brightness.accessor<float, 1>();
  const auto c = coverage.accessor<float, 1>();
  for (std::size_t i = 0; i < attributes.size(); ++i) attributes[i] = {b[i], c[i]};
  return attributes;
}

std::vector<AttributeWords> describe_attributes(const std::vector<ImageAttributes>& attributes,
                                                const torch::Tensor& labels, int64_t num_classes) {
  // Per-class quantiles, so "large" means large for a dress, not for a bag.
  std::vector<std::vector<double>> brightness(num_classes), coverage(num_classes);
  const auto label = labels.accessor<int64_t, 1>();
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    brightness[label[i]].push_back(attributes[i].brightness);
    coverage[label[i]].push_back(attributes[i].coverage);
  }
  auto quantile = [](std::vector<double> values, double q) {
    if (values.empty()) return 0.0;
    const std::size_t k = static_cast<std::size_t>(q * double(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
    return values[k];
  };
  std::vector<std::array<double, 4>> bounds(num_classes);
  for (int64_t k = 0; k < num_classes; ++k) {
    bounds[k] = {quantile(brightness[k], kQuantileLow), quantile(brightness[k], kQuantileHigh),
                 quantile(coverage[k], kQuantileLow), quantile(coverage[k], kQuantileHigh)};
  }

  std::vector<AttributeWords> words(attributes.size());
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const auto& b = bounds[label[i]];
    if (attributes[i].brightness < b[0]) words[i].tone = "dark";
    else if (attributes[i].brightness > b[1]) words[i].tone = "light";
    if (attributes[i].coverage < b[2]) words[i].size = "small";
    else if (attributes[i].coverage > b[3]) words[i].size = "large";
  }
  return words;
}

const std::vector<std::string>& caption_templates() {
  static const std::vector<std::string> kTemplates = {
      "a photo of a {}", "a picture of a {}", "an image of a {}", "a grey photo of a {}",
      "a low resolution photo of a {}", "a product photo of a {}", "a {}",
  };
  return kTemplates;
}

std::string caption_class_name(const std::string& class_name) {
  std::string name;
  for (char c : class_name) name += c == '/' ? std::string(" or ") : std::string(1, char(std::tolower(static_cast<unsigned char>(c))));
  return name;
}

std::string build_caption(const std::string& class_name, const AttributeWords& words, uint64_t variant) {
  const auto& templates = caption_templates();
  const std::string& chosen = templates[variant % templates.size()];
  std::string subject = caption_class_name(class_name);
  const bool with_attributes = (variant / templates.size()) % 2 == 1;
  if (with_attributes) {
    if (!words.size.empty()) subject = words.size + " " + subject;
    if (!words.tone.empty()) subject = words.tone + " " + subject;
  }
  // Articles stay as the template has them ("a ankle boot"), matching the
  // prompts that build_prompt makes from the bundle's template.
  return build_prompt(chosen, subject);
}

}  // namespace evlf::data
