#include "core/eval/metrics.h"

#include <sstream>

#include <torch/torch.h>

#include "core/runtime/error.h"

namespace evlf::eval {

namespace {

// Row chunk for distance matrices: 2048 x 10,000 floats is about 80 MB.
constexpr int64_t kChunkRows = 2048;

torch::Tensor as_matrix(const torch::Tensor& tensor, const char* name) {
  if (!tensor.defined() || tensor.dim() < 2) {
    throw Error(std::string(name) + " must be a matrix [N, D] or images [N, C, H, W], got " +
                (tensor.defined() ? c10::str(tensor.sizes()) : std::string("an undefined tensor")));
  }
  return tensor.flatten(1).to(torch::kFloat);  // [N, D]
}

}  // namespace

std::string Prdc::to_string() const {
  std::ostringstream out;
  out << "precision " << precision << ", recall " << recall << ", density " << density << ", coverage " << coverage;
  return out.str();
}

torch::Tensor knn_radii(const torch::Tensor& points, int64_t k) {
  const torch::Tensor x = as_matrix(points, "k-NN points");
  const int64_t n = x.size(0);
  if (k < 1 || k >= n) {
    throw Error("k-NN radius with k = " + std::to_string(k) + " needs more than k samples, got " + std::to_string(n) +
                "; lower k or use a larger set");
  }
  std::vector<torch::Tensor> radii;
  for (int64_t start = 0; start < n; start += kChunkRows) {
    const torch::Tensor distances = torch::cdist(x.slice(0, start, start + kChunkRows), x);  // [chunk, N]
    // The k+1-th smallest distance skips the sample itself (distance 0).
    radii.push_back(std::get<0>(distances.kthvalue(k + 1, /*dim=*/1)));  // [chunk]
  }
  return torch::cat(radii);  // [N]
}

Prdc compute_prdc(const torch::Tensor& real_features, const torch::Tensor& synthetic_features, int64_t k) {
  const torch::Tensor real = as_matrix(real_features, "real features");
  const torch::Tensor fake = as_matrix(synthetic_features, "synthetic features");
  if (real.size(1) != fake.size(1)) {
    throw Error("real features have width " + std::to_string(real.size(1)) + " but synthetic features " +
                std::to_string(fake.size(1)) + "; extract both with the same network");
  }
  if (k < 1 || k >= real.size(0) || k >= fake.size(0)) {
    throw Error("PRDC with k = " + std::to_string(k) + " needs more than k samples on each side, got " +
                std::to_string(real.size(0)) + " real and " + std::to_string(fake.size(0)) +
                " synthetic; lower k or use larger sets");
  }

  const torch::Tensor real_radii = knn_radii(real, k);  // [Nr]
  const torch::Tensor fake_radii = knn_radii(fake, k);  // [Ns]

  // Walk real rows in chunks: distances [chunk, Ns].
  const int64_t nr = real.size(0), ns = fake.size(0);
  torch::Tensor fake_in_real_ball_count = torch::zeros({ns}, torch::kLong);  // density numerator
  torch::Tensor real_in_fake_ball = torch::zeros({nr}, torch::kBool);        // recall
  torch::Tensor real_ball_covered = torch::zeros({nr}, torch::kBool);        // coverage
  for (int64_t start = 0; start < nr; start += kChunkRows) {
    const int64_t end = std::min(start + kChunkRows, nr);
    const torch::Tensor d = torch::cdist(real.slice(0, start, end), fake);  // [chunk, Ns]
    const torch::Tensor inside_real = d.lt(real_radii.slice(0, start, end).unsqueeze(1));  // [chunk, Ns]
    fake_in_real_ball_count += inside_real.sum(0);
    real_in_fake_ball.slice(0, start, end).copy_(d.lt(fake_radii.unsqueeze(0)).any(1));
    real_ball_covered.slice(0, start, end).copy_(inside_real.any(1));
  }

  Prdc result;
  result.precision = fake_in_real_ball_count.gt(0).to(torch::kDouble).mean().item<double>();
  result.recall = real_in_fake_ball.to(torch::kDouble).mean().item<double>();
  result.density = fake_in_real_ball_count.to(torch::kDouble).mean().item<double>() / static_cast<double>(k);
  result.coverage = real_ball_covered.to(torch::kDouble).mean().item<double>();
  return result;
}

NearestNeighbours nearest_neighbours(const torch::Tensor& query, const torch::Tensor& reference) {
  const torch::Tensor q = as_matrix(query, "query");
  const torch::Tensor r = as_matrix(reference, "reference");
  if (q.size(1) != r.size(1)) {
    throw Error("query width " + std::to_string(q.size(1)) + " differs from reference width " +
                std::to_string(r.size(1)) + "; compare samples of the same shape");
  }
  if (r.size(0) == 0) throw Error("nearest-neighbour search needs a non-empty reference set");
  std::vector<torch::Tensor> distances, indices;
  for (int64_t start = 0; start < q.size(0); start += kChunkRows) {
    const torch::Tensor d = torch::cdist(q.slice(0, start, start + kChunkRows), r);  // [chunk, Nr]
    auto [values, index] = d.min(/*dim=*/1);
    distances.push_back(values);
    indices.push_back(index);
  }
  if (distances.empty()) return {torch::empty({0}), torch::empty({0}, torch::kLong)};
  return {torch::cat(distances), torch::cat(indices)};
}

}  // namespace evlf::eval
