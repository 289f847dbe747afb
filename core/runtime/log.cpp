#include "core/runtime/log.h"

#include <algorithm>
#include <map>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

namespace evlf {
namespace {

LogLevel to_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return LogLevel::Trace;
    case spdlog::level::debug: return LogLevel::Debug;
    case spdlog::level::info: return LogLevel::Info;
    case spdlog::level::warn: return LogLevel::Warn;
    default: return LogLevel::Error;
  }
}

class CallbackSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CallbackSink(LogCallback callback) : callback_(std::move(callback)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line(formatted.data(), formatted.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    callback_(to_level(msg.level), line);
  }
  void flush_() override {}

 private:
  LogCallback callback_;
};

struct LogRegistry {
  LogRegistry() : logger(std::make_shared<spdlog::logger>("evlf")) {
    logger->set_level(spdlog::level::info);
  }

  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;
  std::map<int, spdlog::sink_ptr> sinks;
  int next_id = 1;
};

LogRegistry& registry() {
  // Lives as long as the process, like spdlog's own registry.
  static LogRegistry instance;
  return instance;
}

}  // namespace

std::shared_ptr<spdlog::logger> logger() { return registry().logger; }

int add_log_callback(LogCallback callback) {
  LogRegistry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto sink = std::make_shared<CallbackSink>(std::move(callback));
  sink->set_pattern("[%H:%M:%S] [%l] %v");
  reg.logger->sinks().push_back(sink);
  const int id = reg.next_id++;
  reg.sinks[id] = sink;
  return id;
}

void remove_log_callback(int id) {
  LogRegistry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto found = reg.sinks.find(id);
  if (found == reg.sinks.end()) return;
  auto& sinks = reg.logger->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), found->second), sinks.end());
  reg.sinks.erase(found);
}

void set_log_level(LogLevel level) {
  static const spdlog::level::level_enum kLevels[] = {
      spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
      spdlog::level::warn, spdlog::level::err};
  logger()->set_level(kLevels[static_cast<int>(level)]);
}

}  // namespace evlf
