#include "app/cli/interrupt.h"

#include <csignal>
#include <unistd.h>

#include <atomic>

namespace evlf::cli {
namespace {

// A signal handler can reach only globals; this is the one place the CLI
// keeps a global, and only while an InterruptGuard is alive.
std::atomic<CancelToken*> g_token{nullptr};
std::atomic<int> g_interrupts{0};
struct sigaction g_previous {};

void on_interrupt(int) {
  if (g_interrupts.fetch_add(1) >= 1) _exit(130);
  static const char kMessage[] = "\nevlf: stopping after the current step (press Ctrl-C again to quit now)\n";
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  if (CancelToken* token = g_token.load()) token->cancel();
}

}  // namespace

InterruptGuard::InterruptGuard(const CancelToken& token) {
  g_token.store(new CancelToken(token));
  g_interrupts.store(0);
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous, nullptr);
  delete g_token.exchange(nullptr);
}

}  // namespace evlf::cli
