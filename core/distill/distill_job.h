// `evlf distill` as a library call: encode the real set, discover modes,
// generate IPC samples per class with the late and/or early pipeline, and
// write each set atomically as an ImageFolder tree with a manifest.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/distill/pipeline.h"
#include "core/io/image_set_writer.h"

namespace evlf::distill {

/// \brief Everything one distillation run needs besides the loaded bundle.
struct DistillOptions {
  int64_t ipc = 10;                         // images per class
  std::vector<PipelineKind> pipelines = {PipelineKind::Late, PipelineKind::Early};
  SamplingSettings settings;
  std::vector<int64_t> classes;             // empty = every class of the bundle
  std::string dataset = "fashion-mnist";    // real training data for encoding and modes
  std::filesystem::path cache_folder;       // latent cache; empty disables it
  bool closest_real_modes = false;          // replace k-means centres by the closest real latent
  std::filesystem::path output;             // one pipeline: the set; several: one sub-folder per pipeline
};

/// \brief Generated samples of one pipeline and the modes that guided them.
struct PipelineSamples {
  PipelineKind pipeline = PipelineKind::Late;
  std::vector<ClassModes> modes;
  std::vector<GeneratedSample> samples;
};

/// Generates every pipeline's samples in memory (no files written).
std::vector<PipelineSamples> generate_distilled_sets(const LoadedBundle& bundle, const DistillOptions& options,
                                                     const JobControl& job = {});

/// Writes generated sets under options.output atomically: everything goes
/// into a temporary sibling folder that replaces the output only when all
/// sets are complete. An existing output that is not an earlier distilled
/// set is never replaced. Returns the folder of each set.
std::vector<std::filesystem::path> write_distilled_sets(const LoadedBundle& bundle, const DistillOptions& options,
                                                        const std::vector<PipelineSamples>& sets,
                                                        const JobControl& job = {});

/// Folder of one pipeline's set inside options.output.
std::filesystem::path distilled_set_folder(const DistillOptions& options, PipelineKind pipeline);

/// Checks the options against the bundle and the data before any work:
/// IPC against the smallest class, class indices, sampling settings.
void validate_distill_options(const LoadedBundle& bundle, const DistillOptions& options,
                              const data::LabeledImages& train);

}  // namespace evlf::distill
