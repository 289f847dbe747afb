// Progress output for the command line: a redrawn bar on a terminal, plain
// lines at most every few seconds otherwise (logs, CI).
#pragma once

#include <chrono>
#include <string>

#include "core/runtime/progress.h"

namespace evlf::cli {

/// \brief Renders ProgressEvents to standard error.
class TerminalProgress {
 public:
  TerminalProgress();
  ~TerminalProgress();

  void operator()(const ProgressEvent& event);

  /// Ends the current bar line, if one is open.
  void finish();

 private:
  bool tty_ = false;
  bool line_open_ = false;
  std::string last_stage_;
  std::chrono::steady_clock::time_point last_print_{};
  std::chrono::steady_clock::time_point stage_start_{};
  int64_t stage_first_step_ = 0;  // step of the stage's first event
};

/// Returns a ProgressCallback that forwards to `progress`.
ProgressCallback progress_callback(TerminalProgress& progress);

}  // namespace evlf::cli
