#include "core/runtime/progress.h"

#include "core/runtime/error.h"

namespace evlf {

void JobControl::throw_if_cancelled() const {
  if (cancelled()) throw CancelledError();
}

}  // namespace evlf
