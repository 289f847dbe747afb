// Kernels whose speed depends on the BLAS library LibTorch calls: float
// matrix products (attention, linear layers) and convolutions (autoencoder,
// ConvNet-3). Run once per BLAS variant to choose one, e.g.
//   LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread build/tests/bench/evlf_bench
#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

void BM_MatMul512(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  const torch::Tensor a = torch::randn({512, 512});
  const torch::Tensor b = torch::randn({512, 512});
  for (auto _ : state) benchmark::DoNotOptimize(torch::mm(a, b));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatMul512)->Unit(benchmark::kMillisecond);

// Linear layer forward and backward at attention-block size: 16 x 256 tokens x 256 wide.
void BM_LinearForwardBackward(benchmark::State& state) {
  torch::nn::Linear layer(256, 768);
  const torch::Tensor x = torch::randn({16, 256, 256});
  for (auto _ : state) {
    layer->zero_grad();
    layer(x).sum().backward();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LinearForwardBackward)->Unit(benchmark::kMillisecond);

// 3x3 convolution forward and backward at autoencoder size: 16 x 64 channels x 16 x 16.
void BM_Conv3x3ForwardBackward(benchmark::State& state) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(64, 64, 3).padding(1));
  const torch::Tensor x = torch::randn({16, 64, 16, 16});
  for (auto _ : state) {
    conv->zero_grad();
    conv(x).sum().backward();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Conv3x3ForwardBackward)->Unit(benchmark::kMillisecond);

}  // namespace
