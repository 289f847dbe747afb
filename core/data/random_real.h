// The random-real baseline: IPC real images drawn at random per class,
// evaluated under the same protocol as a synthetic set.
#pragma once

#include <cstdint>

#include "core/data/idx.h"

namespace evlf::data {

/// \brief A random real subset and where its images came from.
struct RandomRealSet : LabeledImages {
  torch::Tensor source_indices;  // [K * IPC] int64 rows of the source set
};

/// Draws `ipc` images of each class of `source` without replacement, with a
/// generator seeded by `seed`; images are grouped by class in label order
/// and keep the source's dtype ([K * IPC, C, H, W]), so they go straight to
/// training or to io::ImageSetWriter. Throws evlf::Error naming the class
/// and the counts when a class has fewer than `ipc` images.
RandomRealSet draw_random_real(const LabeledImages& source, int64_t ipc, uint64_t seed);

}  // namespace evlf::data
