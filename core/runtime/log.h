// Logging through spdlog. The core logs to the "evlf" logger; front ends
// attach a callback sink to show lines in a terminal or a log panel.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace evlf {

enum class LogLevel { Trace, Debug, Info, Warn, Error };

using LogCallback = std::function<void(LogLevel level, const std::string& line)>;

/// Returns the shared core logger; it has no sink until one is attached.
std::shared_ptr<spdlog::logger> logger();

/// Adds a sink that forwards each formatted line to `callback`.
/// Returns an id for remove_log_callback.
int add_log_callback(LogCallback callback);

void remove_log_callback(int id);

void set_log_level(LogLevel level);

}  // namespace evlf
