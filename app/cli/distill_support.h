// Flags and helpers shared by distill, evaluate, sweep and main-job.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/distill/distill_job.h"
#include "core/eval/train_classifier.h"

namespace evlf::cli {

/// \brief Sampling flags of distill, sweep and main-job.
struct SamplingFlags {
  std::string bundle;
  int64_t ipc = 10;
  distill::SamplingSettings settings;
  std::vector<std::string> classes;
  std::string dataset = "fashion-mnist";
  bool closest_real = false;
  std::string device = "auto";
};

/// \brief Evaluation flags of evaluate and main-job.
struct EvaluationFlags {
  std::string test = "fashion-mnist:test";
  std::string model = "convnet3";
  int repeats = 3;
  int64_t epochs = 300;
  bool dsa = false;
  uint64_t seed = 0;
};

struct EvaluationSummary {
  std::filesystem::path folder;
  int64_t images = 0;
  eval::EvaluationResult result;
};

void add_sampling_flags(CLI::App* command, SamplingFlags& flags);
void add_evaluation_flags(CLI::App* command, EvaluationFlags& flags);
std::filesystem::path bundle_path(const std::string& flag);
distill::DistillOptions make_distill_options(const distill::LoadedBundle& bundle, const SamplingFlags& flags);

/// Generates and writes the sets; returns their folders.
std::vector<std::filesystem::path> run_distill(const SamplingFlags& flags, const std::string& pipeline,
                                               const std::filesystem::path& out, const JobControl& job);
std::filesystem::path write_random_real(const std::string& dataset, int64_t ipc, uint64_t seed,
                                        const std::filesystem::path& out, const JobControl& job);
EvaluationSummary evaluate_folder(const std::filesystem::path& folder, const EvaluationFlags& flags, const JobControl& job);
void print_evaluation(const EvaluationSummary& summary);
nlohmann::json evaluation_json(const EvaluationSummary& summary, const EvaluationFlags& flags);

}  // namespace evlf::cli
