// One progress-and-cancel interface for every long-running core function:
// encoding, k-means, training, sampling and evaluation.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace evlf {

/// \brief A shared cancellation flag; copies refer to the same flag.
class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}

  void cancel() const { flag_->store(true); }
  void reset() const { flag_->store(false); }
  bool is_cancelled() const { return flag_->load(); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

/// \brief One progress report: `step` of `total` in a named stage, plus
/// named scalar metrics such as loss terms.
struct ProgressEvent {
  std::string stage;                                  // e.g. "encode", "train fusion"
  int64_t step = 0;                                   // completed units
  int64_t total = 0;                                  // 0 when unknown
  std::vector<std::pair<std::string, double>> metrics;
  std::string message;                                // optional free text
};

using ProgressCallback = std::function<void(const ProgressEvent&)>;

/// \brief The progress callback and cancellation flag handed to a job.
struct JobControl {
  ProgressCallback on_progress;  // may be empty
  CancelToken cancel;

  void report(const ProgressEvent& event) const {
    if (on_progress) on_progress(event);
  }

  bool cancelled() const { return cancel.is_cancelled(); }

  /// Throws CancelledError when the flag is set.
  void throw_if_cancelled() const;
};

}  // namespace evlf
