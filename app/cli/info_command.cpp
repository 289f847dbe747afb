// evlf info: LibTorch version, device, threads, BLAS, dataset and default
// bundle presence.
#include <iostream>

#include "app/cli/commands.h"
#include "core/data/fashion_mnist.h"
#include "core/io/data_paths.h"
#include "core/runtime/device.h"
#include "core/runtime/log.h"

namespace evlf::cli {

void apply_common(const CommonOptions& common) {
  set_thread_count(common.threads);
  if (common.verbose) set_log_level(LogLevel::Debug);
}

void register_info(CLI::App& app, CommonOptions& common) {
  CLI::App* command = app.add_subcommand("info", "Print LibTorch, device, thread, BLAS, dataset and bundle facts");
  command->callback([&common] {
    apply_common(common);
    const RuntimeInfo info = runtime_info();
    const auto dataset = data::find_fashion_mnist();
    const auto bundle = io::find_default_bundle();
    std::cout << "evlf " << EVLF_VERSION << '\n'
              << "LibTorch:       " << info.torch_version << '\n'
              << "device:         " << info.device << (info.cuda_available ? " (CUDA available)" : " (no CUDA)") << '\n'
              << "threads:        " << info.threads << '\n'
              << "BLAS library:   " << info.blas_library << '\n'
              << "Fashion-MNIST:  " << (dataset ? dataset->string() : std::string("not found (install dataset-fashion-mnist)"))
              << '\n'
              << "model bundle:   " << (bundle ? bundle->string() : std::string("not found (set EVLF_BUNDLE)")) << '\n';
  });
}

}  // namespace evlf::cli
