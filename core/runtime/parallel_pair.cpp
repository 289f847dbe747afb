#include "core/runtime/parallel_pair.h"

#include <exception>
#include <future>
#include <thread>

#include <ATen/ThreadLocalState.h>

namespace evlf {

namespace {

/// Sets the intra-op thread count for a scope and restores the previous one.
class IntraOpThreads {
 public:
  explicit IntraOpThreads(int threads) : previous_(torch::get_num_threads()) { torch::set_num_threads(threads); }
  ~IntraOpThreads() { torch::set_num_threads(previous_); }
  IntraOpThreads(const IntraOpThreads&) = delete;
  IntraOpThreads& operator=(const IntraOpThreads&) = delete;

 private:
  int previous_;
};

}  // namespace

bool runs_in_parallel(torch::Device device) { return device.is_cpu() && torch::get_num_threads() >= 2; }

void run_in_parallel(const std::function<void()>& first, const std::function<void()>& second, torch::Device device) {
  if (!runs_in_parallel(device)) {
    first();
    second();
    return;
  }

  const int threads = torch::get_num_threads();
  const int helper_threads = threads / 2;
  const at::ThreadLocalState caller_state;
  std::exception_ptr first_error, second_error;
  {
    IntraOpThreads caller_share(threads - helper_threads);

    // The caller waits until the helper has set its thread count, because setting it also clears LibTorch's
    // oneDNN caches, which must not happen while the caller's own work runs.
    std::promise<void> helper_ready;
    std::thread helper([&] {
      at::ThreadLocalStateGuard state_guard(caller_state);
      bool ready = false;
      try {
        torch::set_num_threads(helper_threads);
        helper_ready.set_value();
        ready = true;
        first();
      } catch (...) {
        first_error = std::current_exception();
        if (!ready) helper_ready.set_value();
      }
    });
    helper_ready.get_future().wait();
    try {
      second();
    } catch (...) {
      second_error = std::current_exception();
    }
    helper.join();
  }

  if (first_error) std::rethrow_exception(first_error);
  if (second_error) std::rethrow_exception(second_error);
}

}  // namespace evlf
