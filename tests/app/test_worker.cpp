// The worker thread: a burst of requests for one view runs once with the
// newest request, a running stale task is cancelled, errors arrive as
// messages, and progress reports are thinned.
#include <QtTest>

#include <atomic>

#include "app/gui/Worker.h"
#include "core/runtime/error.h"

class TestWorker : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void burstCoalescesToNewest() {
    Worker worker;
    std::atomic<bool> release{false};
    std::atomic<int> runs{0};
    std::atomic<int> lastValue{-1};
    QSignalSpy finished(&worker, &Worker::taskFinished);

    // Block the worker with a task of another key so the burst queues up.
    worker.submit("blocker", [&](const evlf::JobControl&) {
      while (!release.load()) QThread::msleep(1);
    });
    for (int i = 0; i < 20; ++i) {
      worker.submit("compare", [&, i](const evlf::JobControl&) {
        runs.fetch_add(1);
        lastValue.store(i);
      });
    }
    release.store(true);

    QTRY_COMPARE(finished.count(), 2);
    QCOMPARE(runs.load(), 1);
    QCOMPARE(lastValue.load(), 19);
    QCOMPARE(worker.staleCount(), 19);
  }

  void runningStaleTaskCancelled() {
    Worker worker;
    std::atomic<bool> started{false};
    std::atomic<int> stepsRun{0};
    QSignalSpy finished(&worker, &Worker::taskFinished);

    worker.submit("compare", [&](const evlf::JobControl& job) {
      started.store(true);
      for (int step = 0; step < 100000; ++step) {
        job.throw_if_cancelled();
        stepsRun.fetch_add(1);
        QThread::msleep(1);
      }
    });
    QTRY_VERIFY(started.load());
    worker.submit("compare", [](const evlf::JobControl&) {});

    QTRY_COMPARE(finished.count(), 2);
    QCOMPARE(finished.at(0).at(1).toBool(), true);   // first run cancelled
    QCOMPARE(finished.at(1).at(1).toBool(), false);  // newest ran to the end
    QVERIFY(stepsRun.load() < 100000);
  }

  void errorsArriveAsMessages() {
    Worker worker;
    QSignalSpy finished(&worker, &Worker::taskFinished);
    worker.submit("encode", [](const evlf::JobControl&) { throw evlf::Error("dataset folder '/x' not found"); });
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(2).toString(), QString("dataset folder '/x' not found"));
  }

  void progressForwarded() {
    Worker worker;
    QSignalSpy progress(&worker, &Worker::progress);
    QSignalSpy finished(&worker, &Worker::taskFinished);
    worker.submit("train", [](const evlf::JobControl& job) {
      for (int step = 1; step <= 3; ++step) job.report({"train fusion", step, 3, {}, ""});
    });
    QTRY_COMPARE(finished.count(), 1);
    QVERIFY(progress.count() >= 2);
    QVERIFY(progress.count() <= 3);
    QCOMPARE(progress.first().at(2).toLongLong(), qint64(1));
    QCOMPARE(progress.last().at(2).toLongLong(), qint64(3));
  }

  void lastReportOfOpenStageArrives() {
    Worker worker;
    QSignalSpy progress(&worker, &Worker::progress);
    QSignalSpy finished(&worker, &Worker::taskFinished);
    worker.submit("export", [](const evlf::JobControl& job) {
      for (int step = 1; step <= 50; ++step) job.report({"write image set", step, 0, {}, ""});
      for (int step = 1; step <= 50; ++step) job.report({"write manifest", step, 0, {}, ""});
    });
    QTRY_COMPARE(finished.count(), 1);
    QVERIFY(progress.count() < 100);

    qint64 lastImageStep = 0;
    for (const QList<QVariant>& report : progress) {
      if (report.at(1).toString() == "write image set") lastImageStep = report.at(2).toLongLong();
    }
    QCOMPARE(lastImageStep, qint64(50));
    QCOMPARE(progress.last().at(1).toString(), QString("write manifest"));
    QCOMPARE(progress.last().at(2).toLongLong(), qint64(50));
  }

  void progressBurstIsThinned() {
    Worker worker;
    QSignalSpy progress(&worker, &Worker::progress);
    QSignalSpy finished(&worker, &Worker::taskFinished);
    constexpr int kSteps = 10000;
    worker.submit("sample", [](const evlf::JobControl& job) {
      for (int step = 1; step <= kSteps; ++step) job.report({"sample", step, kSteps, {}, ""});
      job.report({"decode", 0, 1, {}, ""});
    });
    QTRY_COMPARE(finished.count(), 1);
    QTRY_VERIFY(progress.count() >= 3);
    QVERIFY2(progress.count() < 100, qPrintable(QString::number(progress.count())));
    QCOMPARE(progress.at(progress.count() - 2).at(2).toLongLong(), qint64(kSteps));
    QCOMPARE(progress.last().at(1).toString(), QString("decode"));
  }
};

QTEST_GUILESS_MAIN(TestWorker)
#include "test_worker.moc"
