// Error types thrown by the core. The core never prints and never exits:
// callers catch these and decide how to report them.
#pragma once

#include <stdexcept>
#include <string>

namespace evlf {

/// \brief Base class of every error the core raises on bad input or state.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// \brief Raised when a job stops because its cancellation flag was set.
class CancelledError : public Error {
 public:
  CancelledError() : Error("cancelled") {}
};

}  // namespace evlf
