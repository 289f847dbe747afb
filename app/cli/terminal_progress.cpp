#include "app/cli/terminal_progress.h"

#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace evlf::cli {
namespace {

constexpr int kBarWidth = 28;
constexpr auto kTerminalInterval = std::chrono::milliseconds(100);
constexpr auto kPlainInterval = std::chrono::seconds(5);

std::string format_metrics(const ProgressEvent& event) {
  std::ostringstream text;
  for (const auto& [name, value] : event.metrics) text << ' ' << name << '=' << std::setprecision(4) << value;
  if (!event.message.empty()) text << ' ' << event.message;
  return text.str();
}

std::string format_duration(double seconds) {
  char buffer[32];
  const int total = static_cast<int>(seconds);
  std::snprintf(buffer, sizeof buffer, "%d:%02d", total / 60, total % 60);
  return buffer;
}

}  // namespace

TerminalProgress::TerminalProgress() : tty_(::isatty(STDERR_FILENO) != 0) {}

TerminalProgress::~TerminalProgress() { finish(); }

void TerminalProgress::finish() {
  if (line_open_) std::cerr << '\n';
  line_open_ = false;
}

void TerminalProgress::operator()(const ProgressEvent& event) {
  const auto now = std::chrono::steady_clock::now();
  const bool new_stage = event.stage != last_stage_;
  if (new_stage) {
    finish();
    last_stage_ = event.stage;
    stage_start_ = now;
    stage_first_step_ = event.step;
  }
  const bool last = event.total > 0 && event.step >= event.total;
  const auto interval = tty_ ? std::chrono::duration_cast<std::chrono::milliseconds>(kTerminalInterval)
                             : std::chrono::duration_cast<std::chrono::milliseconds>(kPlainInterval);
  if (!new_stage && !last && now - last_print_ < interval) return;
  last_print_ = now;

  const double elapsed = std::chrono::duration<double>(now - stage_start_).count();
  std::ostringstream line;
  line << event.stage << ' ';
  if (event.total > 0) {
    const double fraction = std::min(1.0, double(event.step) / double(event.total));
    if (tty_) {
      const int filled = static_cast<int>(fraction * kBarWidth);
      line << '[' << std::string(filled, '#') << std::string(kBarWidth - filled, '.') << "] ";
    }
    line << event.step << '/' << event.total << ' ' << std::fixed << std::setprecision(0) << fraction * 100 << "% ";
    // A resumed run starts at a later step; its rate counts only steps run here.
    const int64_t done_here = event.step - stage_first_step_;
    if (done_here > 0) {
      const double remaining = elapsed / double(done_here) * double(event.total - event.step);
      line << format_duration(elapsed) << " elapsed, " << format_duration(remaining) << " left";
    }
  } else {
    line << event.step << ' ' << format_duration(elapsed) << " elapsed";
  }
  line << format_metrics(event);

  if (tty_) {
    std::cerr << "\r\033[K" << line.str() << std::flush;
    line_open_ = true;
    if (last) finish();
  } else {
    std::cerr << line.str() << '\n';
  }
}

ProgressCallback progress_callback(TerminalProgress& progress) {
  return [&progress](const ProgressEvent& event) { progress(event); };
}

}  // namespace evlf::cli
