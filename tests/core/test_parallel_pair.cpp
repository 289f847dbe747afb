// Side-by-side CPU work. Both tasks run at once with the intra-op threads
// split, or in turn with one thread or on another device. The thread count
// comes back afterwards, and a task's exception reaches the caller.
#include <QtTest>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "core/runtime/error.h"
#include "core/runtime/parallel_pair.h"

class TestParallelPair : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void cleanup() { torch::set_num_threads(2); }

  void splitsThreadsBetweenTasks() {
    torch::set_num_threads(2);
    std::thread::id firstThread, secondThread;
    int firstThreads = 0, secondThreads = 0;
    evlf::run_in_parallel(
        [&] {
          firstThread = std::this_thread::get_id();
          firstThreads = torch::get_num_threads();
        },
        [&] {
          secondThread = std::this_thread::get_id();
          secondThreads = torch::get_num_threads();
        },
        torch::kCPU);

    QVERIFY(firstThread != std::this_thread::get_id());
    QVERIFY(secondThread == std::this_thread::get_id());
    QCOMPARE(firstThreads, 1);
    QCOMPARE(secondThreads, 1);
    QCOMPARE(torch::get_num_threads(), 2);
  }

  void runsTasksAtOnce() {
    torch::set_num_threads(2);
    std::promise<void> firstStarted, secondStarted;
    bool firstSawSecond = false, secondSawFirst = false;
    constexpr auto kWait = std::chrono::seconds(10);
    evlf::run_in_parallel(
        [&] {
          firstStarted.set_value();
          firstSawSecond = secondStarted.get_future().wait_for(kWait) == std::future_status::ready;
        },
        [&] {
          secondStarted.set_value();
          secondSawFirst = firstStarted.get_future().wait_for(kWait) == std::future_status::ready;
        },
        torch::kCPU);

    QVERIFY(firstSawSecond);
    QVERIFY(secondSawFirst);
  }

  void splitsOddThreadCount() {
    torch::set_num_threads(3);
    int firstThreads = 0, secondThreads = 0;
    evlf::run_in_parallel([&] { firstThreads = torch::get_num_threads(); },
                          [&] { secondThreads = torch::get_num_threads(); }, torch::kCPU);

    QCOMPARE(firstThreads, 1);
    QCOMPARE(secondThreads, 2);
    QCOMPARE(torch::get_num_threads(), 3);
  }

  void runsInTurnOnOtherDevice() {
    torch::set_num_threads(2);
    std::thread::id firstThread;
    int firstThreads = 0;
    evlf::run_in_parallel(
        [&] {
          firstThread = std::this_thread::get_id();
          firstThreads = torch::get_num_threads();
        },
        [] {}, torch::Device(torch::kCUDA));

    QVERIFY(firstThread == std::this_thread::get_id());
    QCOMPARE(firstThreads, 2);
  }

  void keepsGradModeOnHelper() {
    torch::set_num_threads(2);
    torch::NoGradGuard no_grad;
    bool helperGradEnabled = true;
    evlf::run_in_parallel([&] { helperGradEnabled = torch::GradMode::is_enabled(); }, [] {}, torch::kCPU);

    QVERIFY(!helperGradEnabled);
  }

  void runsInTurnWithOneThread() {
    torch::set_num_threads(1);
    std::vector<int> order;
    std::thread::id firstThread;
    evlf::run_in_parallel(
        [&] {
          firstThread = std::this_thread::get_id();
          order.push_back(1);
        },
        [&] { order.push_back(2); }, torch::kCPU);

    QVERIFY(firstThread == std::this_thread::get_id());
    QCOMPARE(order, std::vector<int>({1, 2}));
    QCOMPARE(torch::get_num_threads(), 1);
  }

  void rethrowsHelperError() {
    torch::set_num_threads(2);
    std::atomic<bool> secondRan{false};
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::run_in_parallel([] { throw evlf::Error("first failed"); },
                                                                [&] { secondRan = true; }, torch::kCPU));
    QVERIFY(secondRan.load());
    QCOMPARE(torch::get_num_threads(), 2);
  }

  void rethrowsFirstErrorWhenBothFail() {
    torch::set_num_threads(2);
    try {
      evlf::run_in_parallel([] { throw evlf::Error("first failed"); }, [] { throw evlf::CancelledError(); },
                            torch::kCPU);
      QFAIL("no exception");
    } catch (const evlf::CancelledError&) {
      QFAIL("the second task's exception won");
    } catch (const evlf::Error& error) {
      QCOMPARE(QString(error.what()), QString("first failed"));
    }
  }

  void rethrowsCallerError() {
    torch::set_num_threads(2);
    std::atomic<bool> firstRan{false};
    QVERIFY_THROWS_EXCEPTION(evlf::CancelledError,
                             evlf::run_in_parallel([&] { firstRan = true; }, [] { throw evlf::CancelledError(); },
                                                   torch::kCPU));
    QVERIFY(firstRan.load());
    QCOMPARE(torch::get_num_threads(), 2);
  }
};

QTEST_GUILESS_MAIN(TestParallelPair)
#include "test_parallel_pair.moc"
