#pragma once

#include <QImage>
#include <QString>
#include <QStringList>

#include <vector>

/// \brief Attention weights of one model for one sample: per layer, per head, per text token, a spatial grid.
///
/// `values` is row-major [layers, heads, tokens, height, width], the text-token
/// columns of the attention matrix with the latent positions reshaped to the
/// latent grid.
struct AttentionGrid {
  int layers = 0;
  int heads = 0;
  int tokens = 0;
  int height = 0;
  int width = 0;
  std::vector<float> values;  // [layers, heads, tokens, height, width]

  static constexpr int kAverage = -1;  ///< Layer or head index that averages over that axis.

  /// Returns true when the sizes are positive and `values` contains exactly their product.
  bool isValid() const;

  /// Returns the height x width map of `token`. A `layer` or `head` of kAverage
  /// averages over that axis. The result is empty when an index is out of range.
  std::vector<float> map(int layer, int head, int token) const;  // [height, width]
};

/// \brief Everything the attention view shows for one sample.
struct AttentionMaps {
  QStringList tokens;               ///< Token strings of the prompt, in column order.
  QImage early_image;               ///< Base image under the early-fusion maps (the sample or its input).
  QImage late_image;                ///< Base image under the late cross-attention maps.
  AttentionGrid early_fusion;       ///< Fusion-module attention, computed once per sample.
  std::vector<AttentionGrid> late;  ///< Denoiser cross-attention, one grid per traced step.
  std::vector<int> late_timesteps;  ///< Diffusion timestep of each entry of `late`, for the slider label.
};
