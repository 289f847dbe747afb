#include "app/gui/Worker.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "core/runtime/error.h"

namespace {

constexpr std::chrono::milliseconds kProgressInterval{100};

}  // namespace

std::vector<evlf::ProgressEvent> Worker::ProgressThrottle::admit(const evlf::ProgressEvent& event) {
  std::lock_guard<std::mutex> lock(mutex);
  const auto now = std::chrono::steady_clock::now();
  const bool newStage = event.stage != stage;
  const bool lastStep = event.total > 0 && event.step >= event.total;
  if (!newStage && !lastStep && now - last < kProgressInterval) {
    pendingReport = event;
    return {};
  }

  std::vector<evlf::ProgressEvent> forward;
  if (newStage && pendingReport) forward.push_back(*pendingReport);
  forward.push_back(event);
  pendingReport.reset();
  stage = event.stage;
  last = now;
  return forward;
}

std::optional<evlf::ProgressEvent> Worker::ProgressThrottle::flush() {
  std::lock_guard<std::mutex> lock(mutex);
  std::optional<evlf::ProgressEvent> event = std::move(pendingReport);
  pendingReport.reset();
  return event;
}

Worker::Worker(QObject* parent) : QThread(parent) { start(); }

Worker::~Worker() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_abort = true;
    m_queue.clear();
    m_runningToken.cancel();
  }
  m_condition.notify_all();
  wait();
}

void Worker::submit(const QString& key, Task task) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    bool replaced = false;
    for (Pending& pending : m_queue) {
      if (pending.key == key) {
        pending.task = std::move(task);
        replaced = true;
        m_staleCount.fetch_add(1);
        break;
      }
    }
    if (!replaced) m_queue.push_back({key, std::move(task)});
    if (m_runningKey == key) {
      m_runningToken.cancel();
      m_staleCount.fetch_add(1);
    }
  }
  m_condition.notify_one();
}

void Worker::cancel(const QString& key) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_queue.erase(std::remove_if(m_queue.begin(), m_queue.end(), [&](const Pending& p) { return p.key == key; }),
                m_queue.end());
  if (m_runningKey == key) m_runningToken.cancel();
}

void Worker::cancelAll() {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_queue.clear();
  m_runningToken.cancel();
}

void Worker::run() {
  while (true) {
    Pending next;
    evlf::CancelToken token;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_condition.wait(lock, [this] { return m_abort || !m_queue.empty(); });
      if (m_abort) return;
      next = std::move(m_queue.front());
      m_queue.pop_front();
      m_runningKey = next.key;
      m_runningToken = token;
    }

    runTask(next, token);

    std::lock_guard<std::mutex> lock(m_mutex);
    m_runningKey.clear();
  }
}

void Worker::runTask(const Pending& pending, const evlf::CancelToken& token) {
  Q_EMIT taskStarted(pending.key);
  evlf::JobControl job;
  job.cancel = token;
  const QString key = pending.key;
  // Each report repaints the progress banner on the GUI thread, which shares the cores with the task, so
  // reports reach it at most every kProgressInterval, except for the first and the last of a stage.
  auto throttle = std::make_shared<ProgressThrottle>();
  auto emitProgress = [this, key](const evlf::ProgressEvent& event) {
    Q_EMIT progress(key, QString::fromStdString(event.stage), event.step, event.total);
  };
  job.on_progress = [throttle, emitProgress](const evlf::ProgressEvent& event) {
    for (const evlf::ProgressEvent& forward : throttle->admit(event)) emitProgress(forward);
  };

  try {
    pending.task(job);
    if (const auto last = throttle->flush()) emitProgress(*last);
    Q_EMIT taskFinished(key, token.is_cancelled(), QString());
  } catch (const evlf::CancelledError&) {
    Q_EMIT taskFinished(key, true, QString());
  } catch (const std::exception& error) {
    Q_EMIT taskFinished(key, false, QString::fromUtf8(error.what()));
  }
}
