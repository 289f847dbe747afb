// Evaluation classifiers of the dataset-distillation literature: ConvNet-3
// (DC, DSA and DM papers) and ResNet-AP-10 (the DC benchmark's ResNet with
// average pooling in place of strided convolutions). Both use instance
// norm, written as GroupNorm with one group per channel and affine weights.
//
// Symbols: B batch, C input channels, S image side, F feature width.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

namespace evlf::eval {

enum class Architecture { ConvNet, ResNetAP10 };

/// \brief Architecture and sizes of an evaluation classifier.
struct ClassifierOptions {
  Architecture architecture = Architecture::ConvNet;
  int64_t in_channels = 1;   // C: 1 = grey, 3 = RGB
  int64_t image_size = 28;   // S: square input side in pixels
  int64_t num_classes = 10;  // output logits
  int64_t width = 128;       // ConvNet channels per layer (ResNet-AP-10 ignores it)
  int64_t depth = 3;         // ConvNet conv blocks (ResNet-AP-10 ignores it)

  /// ConvNet-3, width 128, as in the DC, DSA and DM evaluation code.
  static ClassifierOptions ConvNet3(int64_t in_channels, int64_t image_size, int64_t num_classes);
  /// ResNet-AP-10 of the DC benchmark.
  static ClassifierOptions ResNetAP10(int64_t in_channels, int64_t image_size, int64_t num_classes);

  std::string to_string() const;
};

/// \brief Common interface of the evaluation classifiers.
class ClassifierImpl : public torch::nn::Module {
 public:
  /// Logits: [B, C, S, S] -> [B, num_classes].
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  /// The embedding the linear classifier reads: [B, C, S, S] -> [B, F].
  virtual torch::Tensor features(const torch::Tensor& x) = 0;
  /// F, the width of features().
  virtual int64_t feature_dim() const = 0;
};

/// \brief ConvNet-D: D blocks of conv 3x3 -> instance norm -> ReLU -> avg pool 2x2,
/// then a linear classifier on the flattened map.
///
/// Ported from the DC code (`networks.py`, `ConvNet`): a grey input gets
/// padding 3 in the first conv, so a 28x28 Fashion-MNIST image yields a
/// 32x32 map (32 -> 16 -> 8 -> 4, F = 128 * 4 * 4). Images are not resized.
/// Keys: `features.{4d}` conv, `features.{4d+1}` norm, `classifier`.
class ConvNetImpl : public ClassifierImpl {
 public:
  explicit ConvNetImpl(const ClassifierOptions& options);

  torch::Tensor forward(const torch::Tensor& x) override;
  torch::Tensor features(const torch::Tensor& x) override;
  int64_t feature_dim() const override { return feature_dim_; }

  torch::nn::Sequential features_{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  ClassifierOptions options_;
  int64_t feature_dim_ = 0;
};

/// \brief One residual block of ResNet-AP: stride-1 convs, a 2x2 average
/// pool after the first conv when downsampling, and a 1x1 conv + avg pool
/// + norm shortcut when the shape changes.
class BasicBlockAPImpl : public torch::nn::Module {
 public:
  BasicBlockAPImpl(int64_t in_planes, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);  // [B, in, S, S] -> [B, planes, S/stride, S/stride]

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::GroupNorm bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential shortcut{nullptr};

 private:
  int64_t stride_ = 1;
};
TORCH_MODULE(BasicBlockAP);

/// \brief ResNet-AP-10: stem conv 3x3 (64) and four stages of one block
/// each (64, 128, 256, 512; the last three halve the map by average
/// pooling), flattened into a linear classifier.
///
/// Ported from the DC code (`networks.py`, `ResNet_AP` with
/// `BasicBlock_AP`, norm 'instancenorm'). A 28x28 input ends at 3x3
/// (28 -> 14 -> 7 -> 3), so F = 512 * 3 * 3, as in that code.
class ResNetAP10Impl : public ClassifierImpl {
 public:
  explicit ResNetAP10Impl(const ClassifierOptions& options);

  torch::Tensor forward(const torch::Tensor& x) override;
  torch::Tensor features(const torch::Tensor& x) override;
  int64_t feature_dim() const override { return feature_dim_; }

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::GroupNorm bn1{nullptr};
  BasicBlockAP layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  ClassifierOptions options_;
  int64_t feature_dim_ = 0;
};

/// Builds the classifier `options` names, initialised from LibTorch's
/// global generator (seed it first for a reproducible network). Throws
/// evlf::Error for sizes that leave no feature map.
std::shared_ptr<ClassifierImpl> make_classifier(const ClassifierOptions& options);

}  // namespace evlf::eval
