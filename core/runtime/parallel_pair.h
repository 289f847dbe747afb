// Two independent pieces of LibTorch work run side by side on the CPU, with
// the intra-op threads split between them. For batches of a few rows, such as
// one compare-view edit, this beats giving every operator all the threads
// (see BM_BundleSampleSideBySide in tests/bench/bench_bundle_sampling.cpp).
#pragma once

#include <functional>

#include <torch/torch.h>

namespace evlf {

/// Returns whether run_in_parallel runs its tasks at once on `device` with
/// the current intra-op thread count: on the CPU with at least two threads.
bool runs_in_parallel(torch::Device device);

/// Runs `first` on a helper thread and `second` on the calling thread, with
/// the intra-op threads split between them, when runs_in_parallel(device);
/// otherwise runs them in turn on the calling thread. The helper starts with
/// the caller's thread-local LibTorch state (grad mode and the like). Rethrows
/// the exception of `first`, or else of `second`, once both are done.
void run_in_parallel(const std::function<void()>& first, const std::function<void()>& second, torch::Device device);

}  // namespace evlf
