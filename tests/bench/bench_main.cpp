// Entry point of evlf_bench: fixes the LibTorch thread count before the
// benchmarks run, because Debian's LibTorch starts with one intra-op thread.
#include <benchmark/benchmark.h>

#include "core/runtime/device.h"

int main(int argc, char** argv) {
  evlf::set_thread_count(0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
