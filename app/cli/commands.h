// Registration functions for the evlf subcommands, one per source file.
#pragma once

#include <CLI/CLI.hpp>

namespace evlf::cli {

/// \brief Options shared by every subcommand.
struct CommonOptions {
  int threads = 0;  // intra-op threads, 0 = one per hardware thread
  bool verbose = false;
};

/// Applies the shared options (thread count, log level); call first in every
/// subcommand callback.
void apply_common(const CommonOptions& common);

void register_info(CLI::App& app, CommonOptions& common);
void register_inspect(CLI::App& app, CommonOptions& common);
void register_train(CLI::App& app, CommonOptions& common);
void register_train_encoders(CLI::App& train, CommonOptions& common);
void register_train_diffusion(CLI::App& train, CommonOptions& common);
void register_train_classifier(CLI::App& train, CommonOptions& common);
void register_bundle(CLI::App& app, CommonOptions& common);
void register_distill(CLI::App& app, CommonOptions& common);
void register_main_job(CLI::App& app, CommonOptions& common);
void register_sweep(CLI::App& app, CommonOptions& common);
void register_quality(CLI::App& app, CommonOptions& common);

}  // namespace evlf::cli
