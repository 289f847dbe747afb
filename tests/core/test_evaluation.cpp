// Downstream evaluation: classifier shapes and parameter names, DSA
// augmentation, training end to end on toy problems, PRDC and
// nearest-neighbour metrics, IOR arithmetic and the random-real draw.
#include <QtTest>

#include <chrono>

#include <ATen/CPUGeneratorImpl.h>

#include "core/data/fashion_mnist.h"
#include "core/data/random_real.h"
#include "core/eval/convnet.h"
#include "core/eval/dsa_augment.h"
#include "core/eval/metrics.h"
#include "core/eval/train_classifier.h"
#include "core/models/state_dict.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

using namespace evlf::eval;
namespace fs = std::filesystem;

namespace {

/// Two-class toy set: class 0 lights the left half, class 1 the right half,
/// plus uniform noise. Images [N, 1, S, S] float in [0, 1].
LabelledSet halves(int64_t n, int64_t side, uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor labels = torch::arange(n) % 2;
  torch::Tensor images = torch::rand({n, 1, side, side}) * 0.4;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t half = side / 2;
    auto region = labels[i].item<int64_t>() == 0 ? images[i].slice(2, 0, half) : images[i].slice(2, half, side);
    region.add_(0.6);
  }
  return {images.clamp(0, 1), labels};
}

bool has_parameter(torch::nn::Module& module, const std::string& name) {
  return module.named_parameters().contains(name);
}

}  // namespace

class TestEvaluation : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void convNetShapes() {
    auto grey = make_classifier(ClassifierOptions::ConvNet3(1, 28, 10));
    QCOMPARE(grey->feature_dim(), int64_t(128 * 4 * 4));  // 28 padded to 32 -> 4x4
    QCOMPARE(grey->forward(torch::rand({2, 1, 28, 28})).sizes().vec(), (std::vector<int64_t>{2, 10}));
    QCOMPARE(grey->features(torch::rand({2, 1, 28, 28})).sizes().vec(), (std::vector<int64_t>{2, 2048}));
    QVERIFY(has_parameter(*grey, "features.0.weight"));
    QVERIFY(has_parameter(*grey, "features.1.weight"));  // instance norm affine
    QVERIFY(has_parameter(*grey, "features.8.bias"));
    QVERIFY(has_parameter(*grey, "classifier.weight"));

    auto colour = make_classifier(ClassifierOptions::ConvNet3(3, 32, 100));
    QCOMPARE(colour->feature_dim(), int64_t(2048));
    QCOMPARE(colour->forward(torch::rand({1, 3, 32, 32})).size(1), int64_t(100));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, colour->forward(torch::rand({1, 1, 32, 32})));
  }

  void resNetShapes() {
    auto net = make_classifier(ClassifierOptions::ResNetAP10(1, 28, 10));
    QCOMPARE(net->feature_dim(), int64_t(512 * 3 * 3));
    QCOMPARE(net->forward(torch::rand({2, 1, 28, 28})).sizes().vec(), (std::vector<int64_t>{2, 10}));
    QVERIFY(has_parameter(*net, "conv1.weight"));
    QVERIFY(has_parameter(*net, "layer2.conv1.weight"));
    QVERIFY(has_parameter(*net, "layer2.shortcut.0.weight"));
    QVERIFY(has_parameter(*net, "layer4.bn2.weight"));
    QVERIFY(!has_parameter(*net, "layer1.shortcut.0.weight"));  // identity shortcut
    auto colour = make_classifier(ClassifierOptions::ResNetAP10(3, 32, 10));
    QCOMPARE(colour->features(torch::rand({1, 3, 32, 32})).size(1), int64_t(512 * 4 * 4));
  }

  void dsaAugmentation() {
    at::Generator generator = at::detail::createCPUGenerator(3);
    const torch::Tensor x = torch::rand({6, 3, 16, 16}, torch::requires_grad());
    DsaOptions all;
    all.single_transform = false;
    const torch::Tensor y = dsa_augment(x, all, generator);
    QCOMPARE(y.sizes(), x.sizes());
    QVERIFY(torch::isfinite(y).all().item<bool>());
    y.sum().backward();
    QVERIFY(x.grad().defined());
    QVERIFY(x.grad().abs().sum().item<double>() > 0.0);

    // Single-transform mode changes the batch, and the same seed repeats it.
    at::Generator g1 = at::detail::createCPUGenerator(5), g2 = at::detail::createCPUGenerator(5);
    const torch::Tensor z = torch::rand({4, 1, 12, 12});
    QVERIFY(dsa_augment(z, DsaOptions{}, g1).equal(dsa_augment(z, DsaOptions{}, g2)));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, dsa_augment(torch::zeros({4, 12, 12}), DsaOptions{}, generator));
  }

  void separableToyReachesHighAccuracy() {
    const LabelledSet train = halves(32, 8, 1), test = halves(100, 8, 2);
    TrainOptions options;
    options.model = ClassifierOptions::ConvNet3(1, 8, 2);
    options.model.width = 16;
    options.epochs = 20;
    options.batch_size = 16;
    options.mean = {0.5};
    options.std = {0.3};
    int events = 0;
    evlf::JobControl control;
    control.on_progress = [&](const evlf::ProgressEvent& event) {
      ++events;
      QCOMPARE(event.total, int64_t(20));
    };
    const TrainResult result = train_classifier(train, test, options, control);
    QCOMPARE(events, 20);
    QVERIFY2(result.test_accuracy >= 0.95, std::to_string(result.test_accuracy).c_str());
    QVERIFY(result.model != nullptr);
    QCOMPARE(extract_features(*result.model, test.images, options).sizes().vec(),
             (std::vector<int64_t>{100, result.model->feature_dim()}));
  }

  // Cancelled after epoch 2 of 4 and run again, training ends with the
  // weights of an uninterrupted run.
  void classifierResumesExactly() {
    const LabelledSet train = halves(32, 8, 1), test = halves(20, 8, 2);
    const fs::path dir = evlf::test::make_temp_dir("evlf-classifier-resume");
    TrainOptions options;
    options.model = ClassifierOptions::ConvNet3(1, 8, 2);
    options.model.width = 8;
    options.epochs = 4;
    options.batch_size = 8;
    options.mean = {0.5};
    options.std = {0.3};
    const TrainResult whole = train_classifier(train, test, options);

    options.checkpoint_path = dir / "classifier.safetensors";
    evlf::JobControl control;
    control.on_progress = [&control](const evlf::ProgressEvent& event) {
      if (event.step == 2) control.cancel.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(evlf::CancelledError, train_classifier(train, test, options, control));
    QVERIFY(fs::exists(options.checkpoint_path));
    const TrainResult resumed = train_classifier(train, test, options);

    const auto expected = evlf::models::state_dict(*whole.model);
    for (const auto& [name, tensor] : evlf::models::state_dict(*resumed.model)) {
      QVERIFY2(torch::allclose(tensor, expected.at(name), 1e-5, 1e-6), name.c_str());
    }
    fs::remove_all(dir);
  }

  void evaluateSetEndToEnd() {
    // uint8 images, colour, DSA, ResNet-AP-10: every path, few epochs.
    torch::manual_seed(11);
    const LabelledSet train{torch::randint(0, 256, {6, 3, 8, 8}).to(torch::kUInt8), torch::arange(6) % 3};
    const LabelledSet test{torch::randint(0, 256, {9, 3, 8, 8}).to(torch::kUInt8), torch::arange(9) % 3};
    TrainOptions options;
    options.model = ClassifierOptions::ResNetAP10(3, 8, 3);
    options.epochs = 2;
    options.mean = {0.5, 0.5, 0.5};
    options.std = {0.25, 0.25, 0.25};
    options.dsa = true;
    std::vector<std::string> messages;
    evlf::JobControl control;
    control.on_progress = [&](const evlf::ProgressEvent& event) { messages.push_back(event.message); };
    const EvaluationResult result = evaluate_set(train, test, options, /*repeats=*/2, control);
    QCOMPARE(result.accuracies.size(), std::size_t(2));
    for (double accuracy : result.accuracies) QVERIFY(accuracy >= 0.0 && accuracy <= 1.0);
    QVERIFY(std::abs(result.mean - (result.accuracies[0] + result.accuracies[1]) / 2) < 1e-12);
    QCOMPARE(messages.size(), std::size_t(4));
    QCOMPARE(messages.back(), std::string("repeat 2 of 2"));
  }

  void trainingRejectsBadInput() {
    TrainOptions options;
    options.model = ClassifierOptions::ConvNet3(1, 12, 2);
    const LabelledSet good = halves(4, 12, 1);
    const LabelledSet wrong_labels{good.images, torch::tensor({0, 1, 2, 1})};
    QVERIFY_THROWS_EXCEPTION(evlf::Error, train_classifier(wrong_labels, good, options));
    const LabelledSet wrong_channels{torch::rand({4, 3, 12, 12}), good.labels};
    QVERIFY_THROWS_EXCEPTION(evlf::Error, train_classifier(wrong_channels, good, options));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evaluate_set(good, good, options, 0));
  }

  void cancelStopsTraining() {
    const LabelledSet set = halves(8, 12, 1);
    TrainOptions options;
    options.model = ClassifierOptions::ConvNet3(1, 12, 2);
    options.model.width = 8;
    options.epochs = 50;
    evlf::JobControl control;
    control.on_progress = [&](const evlf::ProgressEvent& event) {
      if (event.step == 2) control.cancel.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(evlf::CancelledError, train_classifier(set, set, options, control));
  }

  void prdcAgainstItself() {
    torch::manual_seed(4);
    const torch::Tensor real = torch::randn({300, 16});
    const Prdc prdc = compute_prdc(real, real.clone(), 5);
    QCOMPARE(prdc.precision, 1.0);
    QCOMPARE(prdc.recall, 1.0);
    QCOMPARE(prdc.coverage, 1.0);
    QVERIFY2(prdc.density > 0.8 && prdc.density < 1.2, prdc.to_string().c_str());
  }

  void prdcAgainstFarSet() {
    torch::manual_seed(5);
    const torch::Tensor real = torch::randn({100, 8});
    const Prdc prdc = compute_prdc(real, torch::randn({50, 8}) + 1000.0, 5);
    QCOMPARE(prdc.precision, 0.0);
    QCOMPARE(prdc.recall, 0.0);
    QCOMPARE(prdc.density, 0.0);
    QCOMPARE(prdc.coverage, 0.0);
  }

  void prdcSmallSetsRejected() {
    try {
      compute_prdc(torch::randn({20, 4}), torch::randn({5, 4}), 5);
      QFAIL("expected an error for 5 synthetic samples and k = 5");
    } catch (const evlf::Error& error) {
      QVERIFY2(std::string(error.what()).find("k = 5") != std::string::npos, error.what());
    }
    QVERIFY_THROWS_EXCEPTION(evlf::Error, compute_prdc(torch::randn({20, 4}), torch::randn({20, 3}), 5));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, knn_radii(torch::randn({3, 2}), 0));
  }

  void nearestNeighbourDistances() {
    const torch::Tensor reference = torch::tensor({{0.0f, 0.0f}, {10.0f, 0.0f}, {0.0f, 5.0f}});
    const torch::Tensor query = torch::tensor({{9.0f, 0.0f}, {0.0f, 4.0f}, {3.0f, 4.0f}});
    const auto nn = nearest_neighbours(query, reference);
    QCOMPARE(nn.indices.sizes().vec(), (std::vector<int64_t>{3}));
    QCOMPARE(nn.indices[0].item<int64_t>(), int64_t(1));
    QCOMPARE(nn.indices[1].item<int64_t>(), int64_t(2));
    QVERIFY(std::abs(nn.distances[0].item<double>() - 1.0) < 1e-5);
    QVERIFY(std::abs(nn.distances[2].item<double>() - std::sqrt(10.0)) < 1e-5);

    // Image tensors are compared in pixel space.
    const auto pixels = nearest_neighbours(torch::zeros({1, 1, 2, 2}), torch::ones({2, 1, 2, 2}));
    QVERIFY(std::abs(pixels.distances[0].item<double>() - 2.0) < 1e-5);
  }

  void improvementOverRandomFormula() {
    const auto ior = improvement_over_random({0.80, 0.82, 0.78}, {0.70, 0.75, 0.74});
    QCOMPARE(ior.per_repeat.size(), std::size_t(3));
    QVERIFY(std::abs(ior.per_repeat[0] - 0.10) < 1e-12);
    QVERIFY(std::abs(ior.per_repeat[2] - 0.04) < 1e-12);
    QVERIFY(std::abs(ior.mean - 0.07) < 1e-12);
    QVERIFY(std::abs(ior.std - std::sqrt(0.0006)) < 1e-12);  // population std
    const auto hlr = hard_label_recovery({0.93, 0.93}, {0.80, 0.83});
    QVERIFY(std::abs(hlr.mean - 0.115) < 1e-12);
    QVERIFY_THROWS_EXCEPTION(evlf::Error, improvement_over_random({0.8}, {0.7, 0.6}));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, improvement_over_random({}, {}));
  }

  void randomRealDraw() {
    evlf::data::LabeledImages source;
    source.labels = torch::arange(30) % 3;
    source.images = torch::arange(30).to(torch::kUInt8).view({30, 1, 1, 1});
    source.class_names = {"a", "b", "c"};
    const auto first = evlf::data::draw_random_real(source, 4, 9);
    const auto again = evlf::data::draw_random_real(source, 4, 9);
    QCOMPARE(first.images.sizes().vec(), (std::vector<int64_t>{12, 1, 1, 1}));
    QVERIFY(first.source_indices.equal(again.source_indices));
    QVERIFY(first.labels.equal(torch::arange(3).repeat_interleave(4)));
    QCOMPARE(std::get<0>(at::_unique(first.source_indices)).size(0), int64_t(12));
    QVERIFY(first.images.flatten().to(torch::kLong).remainder(3).equal(first.labels));
    try {
      evlf::data::draw_random_real(source, 11, 0);
      QFAIL("expected an error for 11 images per class from 10");
    } catch (const evlf::Error& error) {
      QVERIFY2(std::string(error.what()).find("class 0 (a) has 10 images") != std::string::npos, error.what());
    }
  }

  void fashionMnistAboveChance() {
    const auto folder = evlf::data::find_fashion_mnist();
    if (!folder) QSKIP("Fashion-MNIST not found; install dataset-fashion-mnist or set EVLF_FASHION_MNIST_DIR");
    const auto train_split = evlf::data::load_fashion_mnist(*folder, evlf::data::Split::Train);
    const auto test_split = evlf::data::load_fashion_mnist(*folder, evlf::data::Split::Test);
    const auto train = evlf::data::draw_random_real(train_split, 100, 0);
    const LabelledSet test{test_split.images.slice(0, 0, 1000), test_split.labels.slice(0, 0, 1000)};

    // Four epochs (16 steps, the rate drops after two) keep the test near 30 s on two idle cores.
    TrainOptions options = TrainOptions::FashionMnist();
    options.epochs = 4;
    const auto start = std::chrono::steady_clock::now();
    const TrainResult result = train_classifier({train.images, train.labels}, test, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    qInfo("ConvNet-3 on 1000 real images, 4 epochs: accuracy %.3f in %.1f s", result.test_accuracy, seconds);
    QVERIFY2(result.test_accuracy > 0.5, std::to_string(result.test_accuracy).c_str());
  }
};

QTEST_GUILESS_MAIN(TestEvaluation)
#include "test_evaluation.moc"
