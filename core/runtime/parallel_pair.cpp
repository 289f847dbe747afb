#include "core/runtime/parallel_pair.h"

#include <exception>
#include <thread>

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

void run_in_parallel(const std::function<void()>& first, const std::function<void()>& second, torch::Device device) {
  const int threads = torch::get_num_threads();
  if (!device.is_cpu() || threads < 2) {
    first();
    second();
    return;
  }

  // The global count is lowered before the helper starts, so the helper's
  // first OpenMP team already has its share. The guard sets the caller's share.
  const int helper_threads = threads / 2;
  std::exception_ptr first_error, second_error;
  {
    IntraOpThreads caller_share(threads - helper_threads);
    std::thread helper([&] {
      torch::set_num_threads(helper_threads);
      try {
        first();
      } catch (...) {
        first_error = std::current_exception();
      }
    });
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
