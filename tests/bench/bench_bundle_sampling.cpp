// Sampling with the shipped Fashion-MNIST bundle at the published settings:
// the work behind one compare-view edit that resamples both pipelines for
// the rows on screen. Run: build/tests/bench/evlf_bench --benchmark_filter=Bundle
// (EVLF_BENCH_BUNDLE names another bundle folder).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include <torch/torch.h>

#include "core/distill/bundle.h"
#include "core/distill/pipeline.h"
#include "core/runtime/parallel_pair.h"

namespace {

namespace distill = evlf::distill;

std::filesystem::path bundle_folder() {
  const char* folder = std::getenv("EVLF_BENCH_BUNDLE");
  return folder != nullptr ? std::filesystem::path(folder) : std::filesystem::path(EVLF_SHIPPED_BUNDLE);
}

/// The bundle, its prompts and one random mode per (class, slot), loaded once.
struct BundleFixture {
  distill::LoadedBundle bundle = distill::load_bundle(bundle_folder(), torch::kCPU);
  distill::ClassPrompts prompts = distill::encode_prompts(bundle);
  std::vector<distill::ClassModes> modes;

  BundleFixture() {
    torch::manual_seed(0);
    for (int64_t c = 0; c < bundle.num_classes(); ++c) {
      distill::ClassModes mode;
      mode.class_index = c;
      mode.centres = torch::randn({10, bundle.latent_channels(), bundle.latent_size(), bundle.latent_size()});
      modes.push_back(mode);
    }
  }
};

BundleFixture& fixture() {
  static BundleFixture instance;
  return instance;
}

std::vector<distill::SampleRequest> row_requests(int64_t rows, int64_t classes) {
  std::vector<distill::SampleRequest> requests;
  for (int64_t row = 0; row < rows; ++row) requests.push_back({row % classes, row / classes});
  return requests;
}

void sample_both(benchmark::State& state, bool side_by_side) {
  BundleFixture& f = fixture();
  const std::vector<distill::SampleRequest> requests = row_requests(state.range(0), f.bundle.num_classes());
  const distill::SamplingSettings settings;
  auto run = [&](distill::PipelineKind kind) {
    benchmark::DoNotOptimize(distill::generate_samples(f.bundle, f.prompts, kind, f.modes, requests, settings));
  };
  for (auto _ : state) {
    if (side_by_side) {
      evlf::run_in_parallel([&] { run(distill::PipelineKind::Late); }, [&] { run(distill::PipelineKind::Early); },
                            torch::kCPU);
    } else {
      run(distill::PipelineKind::Late);
      run(distill::PipelineKind::Early);
    }
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}

/// Samples both pipelines for `rows` compare rows, as after a CFG edit: in
/// turn, and side by side as the GUI runs them.
void BM_BundleSampleInTurn(benchmark::State& state) { sample_both(state, false); }
void BM_BundleSampleSideBySide(benchmark::State& state) { sample_both(state, true); }

/// Runs one guided denoiser step's forward for `rows` samples as the sampler does: conditional rows with
/// their labels and projected text, then unconditional rows with the null label and zero text.
void BM_BundleDenoiserForward(benchmark::State& state) {
  BundleFixture& f = fixture();
  torch::NoGradGuard no_grad;
  const int64_t rows = state.range(0);
  const evlf::models::DiT& model = f.bundle.denoiser_late;
  const auto x = torch::randn({2 * rows, f.bundle.latent_channels(), f.bundle.latent_size(), f.bundle.latent_size()});
  const auto t = torch::full({2 * rows}, 500, torch::kLong);
  const auto labels = torch::arange(rows, torch::kLong).remainder(f.bundle.num_classes());
  const auto y = torch::cat({labels, torch::full_like(labels, model->null_label())});
  const auto text_kv = model->project_text(f.prompts.text_embeds.index_select(0, labels));
  for (auto _ : state) benchmark::DoNotOptimize(model->forward_projected(x, t, y, text_kv));
}

}  // namespace

BENCHMARK(BM_BundleSampleInTurn)->Arg(5)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BundleSampleSideBySide)->Arg(5)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BundleDenoiserForward)->Arg(5)->Arg(20)->Unit(benchmark::kMillisecond);
