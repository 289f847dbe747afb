// Mode discovery: k-means over flattened vectors (per class, k = IPC, over
// the scaled latents), k-means++ initialisation from a fixed seed, Lloyd
// iterations.
#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

#include "core/runtime/progress.h"

namespace evlf::distill {

/// \brief k-means settings.
struct KMeansOptions {
  int64_t k = 10;                 // number of centres (IPC in mode discovery)
  int64_t max_iterations = 300;   // Lloyd iterations at most
  double tolerance = 1e-4;        // stop when every centre moves less than this (Euclidean, input units)
  uint64_t seed = 0;              // k-means++ initialisation
  bool closest_real = false;      // also return the member sample closest to each centre
  std::string label;              // names the data in error messages, e.g. "class 3 (Dress)"

  std::string to_string() const;
};

/// \brief Result of one k-means run.
struct KMeansResult {
  torch::Tensor centres;      // [k, D] float
  torch::Tensor assignments;  // [N] int64 centre of each sample
  torch::Tensor closest;      // [k] int64 sample index per centre when closest_real, else undefined
  double inertia = 0.0;       // sum of squared distances to the assigned centres
  int64_t iterations = 0;     // Lloyd iterations run
  bool converged = false;     // assignments stopped changing or centres moved less than the tolerance
};

/// Clusters `samples` ([N, ...], flattened to [N, D]). A centre that loses
/// all its samples is moved to the sample farthest from its own centre.
/// With closest_real, `closest[j]` is the member of cluster j nearest to
/// centre j, so the indices are distinct unless a cluster ends empty. Checks `control` every iteration.
/// Throws evlf::Error naming `options.label` and the sizes when N < k.
KMeansResult kmeans(const torch::Tensor& samples, const KMeansOptions& options, const JobControl& control = {});

}  // namespace evlf::distill
