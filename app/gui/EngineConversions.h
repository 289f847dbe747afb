// Conversions between the GUI's plain data and the core's tensors and
// settings. Only StudioEngine and tests include this header, because it
// pulls in LibTorch.
#pragma once

#include <QImage>

#include <torch/types.h>

#include "core/distill/pipeline.h"
#include "widgets/SamplingParameters.h"

/// Returns the core sampling settings for the panel's parameters; IPC is not part of them.
evlf::distill::SamplingSettings toSamplingSettings(const SamplingParameters& parameters);

/// Converts a uint8 image [C, H, W] (C = 1 or 3) or [H, W] to a grey or RGB QImage that owns its pixels.
/// Throws evlf::Error for another shape or dtype.
QImage tensorToImage(const torch::Tensor& image);
