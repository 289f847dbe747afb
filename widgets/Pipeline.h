#pragma once

/// \brief The two sampling pipelines the views compare.
///
/// Late: the prompt enters through the denoiser (cross-attention or label
/// conditioning). Early: the prompt is fused into the latent before
/// denoising (EVLF).
enum class Pipeline { Late, Early };
