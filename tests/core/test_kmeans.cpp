// k-means mode discovery: known clusters recovered, reproducible per seed,
// clear errors for too few samples, closest-real indices inside clusters.
#include <QtTest>

#include "core/distill/kmeans.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

using evlf::distill::KMeansOptions;
using evlf::distill::kmeans;

namespace {

/// Three tight blobs of `per_cluster` points around far-apart centres: [3 * per_cluster, 2].
torch::Tensor three_blobs(int64_t per_cluster, torch::Tensor* true_centres = nullptr) {
  torch::manual_seed(7);
  const torch::Tensor centres = torch::tensor({{0.0f, 0.0f}, {100.0f, 0.0f}, {0.0f, 100.0f}});
  std::vector<torch::Tensor> points;
  for (int64_t c = 0; c < 3; ++c) points.push_back(centres[c] + torch::randn({per_cluster, 2}));
  if (true_centres) *true_centres = centres;
  return torch::cat(points);
}

}  // namespace

class TestKMeans : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void recoversSeparatedClusters() {
    torch::Tensor truth;
    const torch::Tensor x = three_blobs(30, &truth);
    KMeansOptions options;
    options.k = 3;
    options.seed = 1;
    const auto result = kmeans(x, options);

    QCOMPARE(result.centres.sizes().vec(), (std::vector<int64_t>{3, 2}));
    QCOMPARE(result.assignments.sizes().vec(), (std::vector<int64_t>{90}));
    QVERIFY(result.converged);
    for (int64_t c = 0; c < 3; ++c) {
      const torch::Tensor block = result.assignments.slice(0, c * 30, (c + 1) * 30);
      QVERIFY2(block.eq(block[0]).all().item<bool>(), "a blob was split between centres");
      const torch::Tensor centre = result.centres[block[0].item<int64_t>()];
      QVERIFY2((centre - truth[c]).norm().item<double>() < 1.0, c10::str(centre).c_str());
    }
    QCOMPARE(std::get<0>(at::_unique(result.assignments)).size(0), int64_t(3));

    // Inertia is the sum of squared distances to the assigned centres.
    const torch::Tensor assigned = result.centres.index_select(0, result.assignments);
    QVERIFY(std::abs(result.inertia - (x - assigned).pow(2).sum().item<double>()) < 1e-3 * result.inertia);
  }

  void sameSeedSameResult() {
    const torch::Tensor x = torch::rand({200, 8}, torch::TensorOptions().dtype(torch::kFloat));
    KMeansOptions options;
    options.k = 6;
    options.seed = 42;
    const auto a = kmeans(x, options);
    const auto b = kmeans(x, options);
    QVERIFY(a.centres.equal(b.centres));
    QVERIFY(a.assignments.equal(b.assignments));
    QCOMPARE(a.inertia, b.inertia);
  }

  void flattensImageShapedInput() {
    const torch::Tensor x = three_blobs(10).view({30, 2, 1, 1});
    KMeansOptions options;
    options.k = 3;
    const auto result = kmeans(x, options);
    QCOMPARE(result.centres.sizes().vec(), (std::vector<int64_t>{3, 2}));
  }

  void fewerSamplesThanKRejected() {
    KMeansOptions options;
    options.k = 5;
    options.label = "class 3 (Dress)";
    try {
      kmeans(torch::rand({4, 3}), options);
      QFAIL("expected an error for 4 samples and k = 5");
    } catch (const evlf::Error& error) {
      const std::string message = error.what();
      QVERIFY2(message.find("class 3 (Dress)") != std::string::npos, error.what());
      QVERIFY2(message.find("4 samples") != std::string::npos, error.what());
      QVERIFY2(message.find("k = 5") != std::string::npos, error.what());
    }
  }

  void closestRealReturnsMembers() {
    const torch::Tensor x = torch::rand({120, 5});
    KMeansOptions options;
    options.k = 7;
    options.closest_real = true;
    const auto result = kmeans(x, options);
    QCOMPARE(result.closest.sizes().vec(), (std::vector<int64_t>{7}));
    for (int64_t j = 0; j < 7; ++j) {
      const int64_t index = result.closest[j].item<int64_t>();
      QCOMPARE(result.assignments[index].item<int64_t>(), j);
      // No other member of cluster j is closer to centre j.
      const torch::Tensor members = result.assignments.eq(j).nonzero().flatten();
      const torch::Tensor distances = (x.index_select(0, members) - result.centres[j]).pow(2).sum(1);
      QVERIFY(distances.min().item<double>() >= (x[index] - result.centres[j]).pow(2).sum().item<double>() - 1e-5);
    }
    QCOMPARE(std::get<0>(at::_unique(result.closest)).size(0), int64_t(7));
  }

  void identicalSamplesHandled() {
    KMeansOptions options;
    options.k = 3;
    options.closest_real = true;
    const auto result = kmeans(torch::ones({5, 4}), options);
    QCOMPARE(result.inertia, 0.0);
    QCOMPARE(result.closest.size(0), int64_t(3));
  }

  void cancelStopsRun() {
    evlf::JobControl control;
    control.cancel.cancel();
    KMeansOptions options;
    options.k = 2;
    QVERIFY_THROWS_EXCEPTION(evlf::CancelledError, kmeans(torch::rand({10, 2}), options, control));
  }
};

QTEST_GUILESS_MAIN(TestKMeans)
#include "test_kmeans.moc"
