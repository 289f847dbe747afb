#include "core/distill/kmeans.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <sstream>

#include "core/runtime/error.h"

namespace evlf::distill {

namespace {

/// Squared Euclidean distances [N, k] between rows of x [N, D] and c [k, D].
torch::Tensor squared_distances(const torch::Tensor& x, const torch::Tensor& c) {
  const torch::Tensor x2 = x.pow(2).sum(1, /*keepdim=*/true);  // [N, 1]
  const torch::Tensor c2 = c.pow(2).sum(1).unsqueeze(0);       // [1, k]
  return (x2 - 2.0 * x.matmul(c.t()) + c2).clamp_min(0.0);     // [N, k]
}

/// k-means++ (Arthur and Vassilvitskii, 2007): the first centre uniformly,
/// each next one with probability proportional to D(x)^2.
torch::Tensor kmeans_plus_plus(const torch::Tensor& x, int64_t k, at::Generator& generator) {
  const int64_t n = x.size(0);
  std::vector<int64_t> chosen;
  chosen.push_back(torch::randint(0, n, {1}, generator, torch::kLong).item<int64_t>());
  torch::Tensor nearest = squared_distances(x, x.index({chosen[0]}).unsqueeze(0)).squeeze(1);  // [N]
  while (static_cast<int64_t>(chosen.size()) < k) {
    const double total = nearest.sum().item<double>();
    int64_t next = 0;
    if (total <= 0.0) {
      // Every sample coincides with a centre: take the first sample not yet chosen.
      while (std::find(chosen.begin(), chosen.end(), next) != chosen.end()) ++next;
    } else {
      next = torch::multinomial(nearest.to(torch::kDouble) / total, 1, /*replacement=*/false, generator).item<int64_t>();
    }
    chosen.push_back(next);
    nearest = torch::minimum(nearest, squared_distances(x, x.index({next}).unsqueeze(0)).squeeze(1));
  }
  return x.index_select(0, torch::tensor(chosen, torch::kLong)).clone();  // [k, D]
}

}  // namespace

std::string KMeansOptions::to_string() const {
  std::ostringstream out;
  out << "k-means k " << k << ", at most " << max_iterations << " iterations, tolerance " << tolerance << ", seed "
      << seed << (closest_real ? ", closest real sample per centre" : "");
  return out.str();
}

KMeansResult kmeans(const torch::Tensor& samples, const KMeansOptions& options, const JobControl& control) {
  const std::string subject = options.label.empty() ? std::string("k-means input") : options.label;
  if (!samples.defined() || samples.dim() < 1) throw Error(subject + ": samples must be a tensor [N, ...]");
  if (options.k < 1) throw Error(subject + ": k must be at least 1, got " + std::to_string(options.k));
  const int64_t n = samples.size(0);
  if (n < options.k) {
    throw Error(subject + ": " + std::to_string(n) + " samples are fewer than k = " + std::to_string(options.k) +
                " centres; lower the images per class or provide more samples");
  }
  if (options.max_iterations < 1) {
    throw Error(subject + ": max_iterations must be at least 1, got " + std::to_string(options.max_iterations));
  }

  const torch::Tensor x = samples.reshape({n, -1}).to(torch::kFloat).contiguous();  // [N, D]
  at::Generator generator = at::detail::createCPUGenerator(options.seed);
  KMeansResult result;
  result.centres = kmeans_plus_plus(x, options.k, generator);  // [k, D]
  result.assignments = torch::full({n}, -1, torch::kLong);

  for (int64_t iteration = 0; iteration < options.max_iterations; ++iteration) {
    control.throw_if_cancelled();
    const torch::Tensor distances = squared_distances(x, result.centres);  // [N, k]
    const torch::Tensor assignments = distances.argmin(1);                  // [N]
    const bool unchanged = assignments.equal(result.assignments);
    result.assignments = assignments;
    result.iterations = iteration + 1;
    if (unchanged) {
      result.converged = true;
      break;
    }

    // Update step: each centre becomes the mean of its members.
    torch::Tensor sums = torch::zeros_like(result.centres).index_add_(0, assignments, x);  // [k, D]
    const torch::Tensor counts = torch::bincount(assignments, /*weights=*/{}, options.k);  // [k]
    torch::Tensor centres = sums / counts.clamp_min(1).unsqueeze(1).to(torch::kFloat);
    const torch::Tensor own = distances.gather(1, assignments.unsqueeze(1)).squeeze(1);  // [N]
    torch::Tensor reseeded = torch::zeros({n}, torch::kBool);
    for (int64_t j = 0; j < options.k; ++j) {
      if (counts[j].item<int64_t>() > 0) continue;
      const int64_t farthest = own.masked_fill(reseeded, -1.0).argmax().item<int64_t>();
      reseeded[farthest] = true;
      centres[j] = x[farthest];
    }
    const double shift = (centres - result.centres).norm(2, /*dim=*/{1}).max().item<double>();
    result.centres = centres;
    control.report({"k-means", iteration + 1, options.max_iterations, {{"centre shift", shift}}, subject});
    if (shift < options.tolerance) {
      result.assignments = squared_distances(x, result.centres).argmin(1);
      result.converged = true;
      break;
    }
  }

  const torch::Tensor distances = squared_distances(x, result.centres);  // [N, k]
  result.inertia = distances.gather(1, result.assignments.unsqueeze(1)).sum().item<double>();

  if (options.closest_real) {
    // Non-members get +inf, so each centre picks one of its own members.
    const torch::Tensor member = result.assignments.unsqueeze(1).eq(torch::arange(options.k).unsqueeze(0));  // [N, k]
    const torch::Tensor masked = distances.masked_fill(member.logical_not(), std::numeric_limits<float>::infinity());
    result.closest = masked.argmin(0);  // [k]
    const torch::Tensor empty = member.sum(0).eq(0);
    if (empty.any().item<bool>()) {
      // NOTE: a cluster can end empty when centres coincide (duplicate samples) or when the last
      // iteration re-seeded it. Its centre then takes the nearest sample overall, which may
      // repeat another centre's index.
      result.closest = torch::where(empty, distances.argmin(0), result.closest);
    }
  }
  return result;
}

}  // namespace evlf::distill
