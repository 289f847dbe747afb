#pragma once

#include <QString>
#include <QThread>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/runtime/progress.h"

/// \brief The long-lived worker thread that owns every model and runs tasks.
///
/// Tasks are keyed by the view or job they serve. Submitting a task whose key
/// is already pending replaces the pending one (the newest request wins), and
/// cancels a running task with the same key at its next step. Tasks receive a
/// JobControl whose progress reports arrive as the progress() signal: the
/// first and the last report of each stage, and the others at most ten a
/// second.
class Worker : public QThread {
  Q_OBJECT

 public:
  using Task = std::function<void(const evlf::JobControl& job)>;

  explicit Worker(QObject* parent = nullptr);
  ~Worker() override;

  /// Queues `task` under `key`; thread-safe.
  void submit(const QString& key, Task task);

  /// Cancels the running task and drops pending tasks with this key.
  void cancel(const QString& key);
  void cancelAll();

  /// Number of tasks that were replaced before they ran or cancelled while running.
  int staleCount() const { return m_staleCount.load(); }

 Q_SIGNALS:
  void taskStarted(const QString& key);
  /// `error` is empty on success; `cancelled` is true when the task stopped early.
  void taskFinished(const QString& key, bool cancelled, const QString& error);
  void progress(const QString& key, const QString& stage, qint64 step, qint64 total);

 protected:
  void run() override;

 private:
  struct Pending {
    QString key;
    Task task;
  };

  /// \brief The progress reports of one task that reach the GUI thread.
  struct ProgressThrottle {
    std::mutex mutex;
    std::string stage;
    std::chrono::steady_clock::time_point last;
    std::optional<evlf::ProgressEvent> pendingReport;  // the newest report not forwarded yet

    /// Returns the reports to forward now for `event`, oldest first.
    std::vector<evlf::ProgressEvent> admit(const evlf::ProgressEvent& event);
    /// Returns the pending report, if any, and clears it.
    std::optional<evlf::ProgressEvent> flush();
  };

  void runTask(const Pending& pending, const evlf::CancelToken& token);

  std::mutex m_mutex;
  std::condition_variable m_condition;
  std::deque<Pending> m_queue;
  QString m_runningKey;
  evlf::CancelToken m_runningToken;
  bool m_abort = false;
  std::atomic<int> m_staleCount{0};
};
