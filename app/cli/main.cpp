// evlf: the command-line front end. Each subcommand lives in its own file
// and registers itself here.
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/cli/commands.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

int main(int argc, char** argv) {
  CLI::App app{"EVLF Studio command line: diffusion dataset distillation with early vision-language fusion"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("evlf ") + EVLF_VERSION);

  evlf::cli::CommonOptions common;
  app.add_option("--threads", common.threads, "Intra-op CPU threads (0 = one per hardware thread)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("-v,--verbose", common.verbose, "Print debug log lines");

  evlf::cli::register_info(app, common);
  evlf::cli::register_inspect(app, common);
  evlf::cli::register_train(app, common);
  evlf::cli::register_bundle(app, common);
  evlf::cli::register_distill(app, common);
  evlf::cli::register_main_job(app, common);
  evlf::cli::register_sweep(app, common);
  evlf::cli::register_quality(app, common);

  evlf::add_log_callback([&common](evlf::LogLevel level, const std::string& line) {
    if (level == evlf::LogLevel::Debug && !common.verbose) return;
    std::cerr << line << '\n';
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  } catch (const evlf::CancelledError&) {
    std::cerr << "evlf: cancelled\n";
    return 130;
  } catch (const evlf::Error& error) {
    std::cerr << "evlf: error: " << error.what() << '\n';
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "evlf: unexpected error: " << error.what() << '\n';
    return 2;
  }
  return 0;
}
