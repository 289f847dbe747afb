// A complete model bundle with small random models, and a small IDX
// dataset in the Fashion-MNIST layout, written by tests that need a bundle
// without depending on trained weights.
#pragma once

#include <cstdint>
#include <filesystem>

namespace evlf::test {

/// Writes bundle.json, every weight file and a BPE tokenizer learned from
/// the class prompts into `folder` (created when missing). The models are
/// randomly initialised from `seed` and sized to run in milliseconds: a
/// 32-pixel grey autoencoder with 8x8x4 latents, a one-layer text encoder,
/// one-block DiTs (the late one with text cross-attention) and a one-layer
/// fusion module. The classes are Fashion-MNIST's ten. Returns `folder`.
std::filesystem::path write_tiny_bundle(const std::filesystem::path& folder, uint64_t seed = 0);

/// Writes the four gzip IDX files of Fashion-MNIST into `folder`:
/// `per_class` 28x28 grey images per class in each split, with a
/// class-dependent bright band so a classifier can separate them. Point
/// $EVLF_FASHION_MNIST_DIR at `folder` to load them as "fashion-mnist".
void write_tiny_fashion_mnist(const std::filesystem::path& folder, int64_t per_class, uint64_t seed = 0);

}  // namespace evlf::test
