// Fidelity and diversity of a synthetic set against real data, measured in
// the feature space of a trained evaluation network (or in pixel space).
#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

namespace evlf::eval {

/// \brief Precision, recall, density and coverage of a synthetic set.
struct Prdc {
  double precision = 0.0;  // share of synthetic samples inside some real k-NN ball
  double recall = 0.0;     // share of real samples inside some synthetic k-NN ball
  double density = 0.0;    // mean count of real balls holding a synthetic sample, divided by k (about 1 for matching sets)
  double coverage = 0.0;   // share of real balls holding at least one synthetic sample

  std::string to_string() const;
};

/// Computes PRDC (Naeem et al., "Reliable Fidelity and Diversity Metrics for
/// Generative Models", ICML 2020) from feature matrices real [Nr, D] and
/// synthetic [Ns, D] with Euclidean k-NN radii; a point lies in a ball when
/// its distance is strictly below the radius, as in the authors' `prdc`
/// package. Throws evlf::Error when k < 1, k >= Nr or k >= Ns (a k-NN radius
/// needs k other samples), or when the widths differ.
Prdc compute_prdc(const torch::Tensor& real_features, const torch::Tensor& synthetic_features, int64_t k = 5);

/// \brief Nearest reference sample of each query.
struct NearestNeighbours {
  torch::Tensor distances;  // [Nq] float, Euclidean
  torch::Tensor indices;    // [Nq] int64 rows of the reference matrix
};

/// Finds each query row's nearest reference row: query [Nq, D], reference
/// [Nr, D]. Tensors of images ([N, C, H, W]) are flattened first, so the
/// same call measures pixel-space distance to the nearest real image.
/// Works in row chunks, so large reference sets fit in memory.
NearestNeighbours nearest_neighbours(const torch::Tensor& query, const torch::Tensor& reference);

/// Distance from each row of `points` [N, D] to its k-th nearest other row: [N].
torch::Tensor knn_radii(const torch::Tensor& points, int64_t k);

}  // namespace evlf::eval
