// Two independent pieces of LibTorch work run side by side on the CPU, one
// intra-op thread each. For small batches, such as the rows of one
// compare-view edit, this finishes sooner than two threads per operator.
#pragma once

#include <functional>

#include <torch/torch.h>

namespace evlf {

/// Runs `first` on a helper thread and `second` on the calling thread, with
/// the intra-op threads split between them. On another device, or with one
/// intra-op thread, runs them in turn. Rethrows the exception of `first`, or
/// else of `second`, once both are done.
void run_in_parallel(const std::function<void()>& first, const std::function<void()>& second, torch::Device device);

}  // namespace evlf
