// Evaluation throughput: ConvNet-3 training steps and test-set inference on
// 28x28 grey images (a 32x32 map after the first conv's padding of 3), and
// one full-protocol evaluation (300 epochs on 100 images, 10,000 test images).
#include <benchmark/benchmark.h>

#include <torch/torch.h>

#include "core/eval/train_classifier.h"

namespace {

using evlf::eval::ClassifierOptions;
using evlf::eval::LabelledSet;
using evlf::eval::TrainOptions;

void BM_ConvNet3TrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0);
  torch::manual_seed(0);
  auto model = evlf::eval::make_classifier(ClassifierOptions::ConvNet3(1, 28, 10));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
  const torch::Tensor x = torch::randn({batch, 1, 28, 28});
  const torch::Tensor y = torch::randint(0, 10, {batch});
  for (auto _ : state) {
    const torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ConvNet3TrainStep)->Arg(256)->Unit(benchmark::kMillisecond);

void BM_ConvNet3Inference(benchmark::State& state) {
  const int64_t batch = state.range(0);
  auto model = evlf::eval::make_classifier(ClassifierOptions::ConvNet3(1, 28, 10));
  model->eval();
  const torch::Tensor x = torch::randn({batch, 1, 28, 28});
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(x).argmax(1));
  state.SetItemsProcessed(state.iterations() * batch);  // images/s
}
BENCHMARK(BM_ConvNet3Inference)->Arg(1024)->Unit(benchmark::kMillisecond);

/// Times one evaluation as the distillation job runs it: IPC 10 x 10 classes, 10,000 test images.
/// Arguments: epochs (300 is the protocol; fewer for a quick extrapolation), DSA on (1) or off (0).
void BM_FullProtocolEvaluation(benchmark::State& state) {
  torch::manual_seed(0);
  const LabelledSet train{torch::randint(0, 256, {100, 1, 28, 28}).to(torch::kUInt8), torch::arange(100) % 10};
  const LabelledSet test{torch::randint(0, 256, {10000, 1, 28, 28}).to(torch::kUInt8), torch::arange(10000) % 10};
  TrainOptions options = TrainOptions::FashionMnist();
  options.epochs = state.range(0);
  options.dsa = state.range(1) != 0;
  for (auto _ : state) benchmark::DoNotOptimize(evlf::eval::train_classifier(train, test, options).test_accuracy);
}
BENCHMARK(BM_FullProtocolEvaluation)
    ->Args({300, 0})
    ->Args({300, 1})
    ->Args({30, 0})
    ->Args({30, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
