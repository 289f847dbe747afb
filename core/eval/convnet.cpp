#include "core/eval/convnet.h"

#include <sstream>

#include "core/runtime/error.h"

namespace evlf::eval {
namespace nn = torch::nn;

namespace {

/// Instance norm as the DC code writes it: one group per channel, affine.
nn::GroupNorm instance_norm(int64_t channels) {
  return nn::GroupNorm(nn::GroupNormOptions(/*num_groups=*/channels, /*num_channels=*/channels).affine(true));
}

void check_input(const torch::Tensor& x, const ClassifierOptions& options, const char* name) {
  if (x.dim() != 4 || x.size(1) != options.in_channels) {
    throw Error(std::string(name) + " expects [B, " + std::to_string(options.in_channels) +
                ", H, W] images, got " + c10::str(x.sizes()));
  }
}

void check_options(const ClassifierOptions& options) {
  if (options.in_channels < 1 || options.image_size < 1 || options.num_classes < 2) {
    throw Error("invalid classifier sizes (" + options.to_string() +
                "); channels and image size must be positive and there must be at least 2 classes");
  }
}

}  // namespace

ClassifierOptions ClassifierOptions::ConvNet3(int64_t in_channels, int64_t image_size, int64_t num_classes) {
  ClassifierOptions options;
  options.architecture = Architecture::ConvNet;
  options.in_channels = in_channels;
  options.image_size = image_size;
  options.num_classes = num_classes;
  return options;
}

ClassifierOptions ClassifierOptions::ResNetAP10(int64_t in_channels, int64_t image_size, int64_t num_classes) {
  ClassifierOptions options = ConvNet3(in_channels, image_size, num_classes);
  options.architecture = Architecture::ResNetAP10;
  return options;
}

std::string ClassifierOptions::to_string() const {
  std::ostringstream out;
  if (architecture == Architecture::ConvNet) {
    out << "ConvNet-" << depth << " (width " << width << ")";
  } else {
    out << "ResNet-AP-10";
  }
  out << ", input " << in_channels << "x" << image_size << "x" << image_size << ", " << num_classes << " classes";
  return out.str();
}

// ---------------------------------------------------------------- ConvNet

ConvNetImpl::ConvNetImpl(const ClassifierOptions& options) : options_(options) {
  check_options(options);
  features_ = nn::Sequential();
  int64_t channels = options.in_channels;
  int64_t side = options.image_size;
  for (int64_t d = 0; d < options.depth; ++d) {
    // The DC code pads a grey input by 3 in the first conv (28 -> 32).
    const int64_t padding = (options.in_channels == 1 && d == 0) ? 3 : 1;
    features_->push_back(nn::Conv2d(nn::Conv2dOptions(channels, options.width, /*kernel_size=*/3).padding(padding)));
    features_->push_back(instance_norm(options.width));
    features_->push_back(nn::ReLU());
    features_->push_back(nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)));
    channels = options.width;
    side = (side + 2 * padding - 2) / 2;
  }
  if (side < 1) {
    throw Error("image size " + std::to_string(options.image_size) + " is too small for ConvNet-" +
                std::to_string(options.depth) + "; use a larger image or a smaller depth");
  }
  feature_dim_ = channels * side * side;
  register_module("features", features_);
  classifier = register_module("classifier", nn::Linear(feature_dim_, options.num_classes));
}

torch::Tensor ConvNetImpl::features(const torch::Tensor& x) {
  check_input(x, options_, "ConvNet");
  return features_->forward(x).flatten(1);  // [B, F]
}

torch::Tensor ConvNetImpl::forward(const torch::Tensor& x) {
  return classifier->forward(features(x));  // [B, num_classes]
}

// ---------------------------------------------------------------- ResNet-AP-10

BasicBlockAPImpl::BasicBlockAPImpl(int64_t in_planes, int64_t planes, int64_t stride) : stride_(stride) {
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in_planes, planes, 3).padding(1).bias(false)));
  bn1 = register_module("bn1", instance_norm(planes));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(planes, planes, 3).padding(1).bias(false)));
  bn2 = register_module("bn2", instance_norm(planes));
  shortcut = nn::Sequential();
  if (stride != 1 || in_planes != planes) {
    shortcut->push_back(nn::Conv2d(nn::Conv2dOptions(in_planes, planes, 1).bias(false)));
    shortcut->push_back(nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)));
    shortcut->push_back(instance_norm(planes));
  }
  register_module("shortcut", shortcut);
}

torch::Tensor BasicBlockAPImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::relu(bn1->forward(conv1->forward(x)));
  if (stride_ != 1) out = torch::avg_pool2d(out, /*kernel_size=*/2, /*stride=*/2);  // [B, planes, S/2, S/2]
  out = bn2->forward(conv2->forward(out));
  out = out + (shortcut->is_empty() ? x : shortcut->forward(x));
  return torch::relu(out);
}

ResNetAP10Impl::ResNetAP10Impl(const ClassifierOptions& options) : options_(options) {
  check_options(options);
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(options.in_channels, 64, 3).padding(1).bias(false)));
  bn1 = register_module("bn1", instance_norm(64));
  layer1 = register_module("layer1", BasicBlockAP(64, 64, 1));
  layer2 = register_module("layer2", BasicBlockAP(64, 128, 2));
  layer3 = register_module("layer3", BasicBlockAP(128, 256, 2));
  layer4 = register_module("layer4", BasicBlockAP(256, 512, 2));
  const int64_t side = options.image_size / 8;
  if (side < 1) {
    throw Error("image size " + std::to_string(options.image_size) +
                " is too small for ResNet-AP-10; it needs at least 8 pixels");
  }
  feature_dim_ = 512 * side * side;
  classifier = register_module("classifier", nn::Linear(feature_dim_, options.num_classes));
}

torch::Tensor ResNetAP10Impl::features(const torch::Tensor& x) {
  check_input(x, options_, "ResNet-AP-10");
  torch::Tensor out = torch::relu(bn1->forward(conv1->forward(x)));  // [B, 64, S, S]
  out = layer1->forward(out);                                        // [B, 64, S, S]
  out = layer2->forward(out);                                        // [B, 128, S/2, S/2]
  out = layer3->forward(out);                                        // [B, 256, S/4, S/4]
  out = layer4->forward(out);                                        // [B, 512, S/8, S/8]
  return out.flatten(1);                                             // [B, F]
}

torch::Tensor ResNetAP10Impl::forward(const torch::Tensor& x) {
  return classifier->forward(features(x));  // [B, num_classes]
}

std::shared_ptr<ClassifierImpl> make_classifier(const ClassifierOptions& options) {
  if (options.architecture == Architecture::ResNetAP10) return std::make_shared<ResNetAP10Impl>(options);
  return std::make_shared<ConvNetImpl>(options);
}

}  // namespace evlf::eval
