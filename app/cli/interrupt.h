// Ctrl-C handling for long commands: the first SIGINT sets the job's cancel
// flag so the running loop stops at its next check and leaves its last
// checkpoint valid; a second SIGINT ends the process at once.
#pragma once

#include "core/runtime/progress.h"

namespace evlf::cli {

/// \brief Installs the SIGINT handler for its lifetime and restores the old one.
class InterruptGuard {
 public:
  explicit InterruptGuard(const CancelToken& token);
  ~InterruptGuard();

  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

}  // namespace evlf::cli
