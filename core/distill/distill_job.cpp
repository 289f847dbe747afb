#include "core/distill/distill_job.h"

#include <unistd.h>

#include "core/data/dataset.h"
#include "core/data/prompts.h"
#include "core/io/atomic_file.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::distill {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kDistillMarker = "distill.json";

std::vector<int64_t> requested_classes(const LoadedBundle& bundle, const DistillOptions& options) {
  if (!options.classes.empty()) return options.classes;
  std::vector<int64_t> all;
  for (int64_t k = 0; k < bundle.num_classes(); ++k) all.push_back(k);
  return all;
}

json bundle_identity(const LoadedBundle& bundle) {
  return {{"name", bundle.manifest.name}, {"folder", bundle.manifest.folder.string()},
          {"has_early_denoiser", bundle.has_early_denoiser}};
}

}  // namespace

void validate_distill_options(const LoadedBundle& bundle, const DistillOptions& options, const data::LabeledImages& train) {
  options.settings.validate();
  if (options.ipc <= 0) throw Error("invalid IPC " + std::to_string(options.ipc) + "; use a positive number of images per class");
  if (options.pipelines.empty()) throw Error("no pipeline selected; use late, early or both");
  for (int64_t k : requested_classes(bundle, options)) {
    if (k < 0 || k >= bundle.num_classes()) {
      throw Error("unknown class index " + std::to_string(k) + "; the bundle has classes 0 to " +
                  std::to_string(bundle.num_classes() - 1));
    }
    const int64_t count = (train.labels == k).sum().item<int64_t>();
    if (count < options.ipc) {
      throw Error("IPC " + std::to_string(options.ipc) + " is larger than class " + std::to_string(k) + " (" +
                  bundle.manifest.dataset.class_names[k] + "), which has " + std::to_string(count) +
                  " training images; use --ipc " + std::to_string(count) + " or less");
    }
  }
  if (!options.output.empty()) {
    const fs::path parent = fs::absolute(options.output).parent_path();
    std::error_code error;
    fs::create_directories(parent, error);
    if (error || ::access(parent.c_str(), W_OK) != 0) {
      throw Error("output folder '" + parent.string() + "' is not writable; choose another --out");
    }
  }
}

std::vector<PipelineSamples> generate_distilled_sets(const LoadedBundle& bundle, const DistillOptions& options,
                                                     const JobControl& job) {
  // Real data, latents and prompts.
  const data::LabeledImages train = data::load_dataset(data::parse_dataset_spec(options.dataset));
  validate_distill_options(bundle, options, train);
  const std::optional<fs::path> cache =
      options.cache_folder.empty() ? std::nullopt : std::optional<fs::path>(options.cache_folder);
  const LatentSet latents = encode_images(bundle, train, cache, job);
  const ClassPrompts prompts = encode_prompts(bundle);
  const std::vector<int64_t> classes = requested_classes(bundle, options);

  std::vector<SampleRequest> requests;
  for (int64_t k : classes) {
    for (int64_t slot = 0; slot < options.ipc; ++slot) requests.push_back({k, slot});
  }

  std::vector<PipelineSamples> sets;
  for (PipelineKind pipeline : options.pipelines) {
    // Modes: from z for the late pipeline, from z_alpha for the early one.
    PipelineSamples set;
    set.pipeline = pipeline;
    const torch::Tensor mode_latents =
        pipeline == PipelineKind::Late ? latents.latents
                                       : fuse_latents(bundle, prompts, latents, options.settings.fusion_weight, job);
    set.modes = discover_modes(mode_latents, latents.labels, classes, options.ipc, options.settings.seed,
                               options.closest_real_modes, job);

    // Samples, one class at a time so progress is visible.
    for (int64_t k : classes) {
      std::vector<SampleRequest> class_requests;
      for (const auto& request : requests) {
        if (request.class_index == k) class_requests.push_back(request);
      }
      auto samples = generate_samples(bundle, prompts, pipeline, set.modes, class_requests, options.settings, job,
                                      train.images.size(2), train.images.size(3));
      for (auto& sample : samples) set.samples.push_back(std::move(sample));
      job.report({"generate " + pipeline_name(pipeline), static_cast<int64_t>(set.samples.size()),
                  static_cast<int64_t>(requests.size()), {}, ""});
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

fs::path distilled_set_folder(const DistillOptions& options, PipelineKind pipeline) {
  return options.pipelines.size() == 1 ? options.output : options.output / pipeline_name(pipeline);
}

std::vector<fs::path> write_distilled_sets(const LoadedBundle& bundle, const DistillOptions& options,
                                           const std::vector<PipelineSamples>& sets, const JobControl& job) {
  const fs::path output = fs::absolute(options.output);
  if (fs::exists(output) && !fs::is_empty(output) && !fs::exists(output / kDistillMarker) &&
      !fs::exists(output / "manifest.json")) {
    throw Error("output folder '" + output.string() + "' exists and is not an earlier distilled set; "
                "choose an empty or new --out");
  }

  // Stage everything beside the target.
  const fs::path staging = io::temporary_sibling(output);
  fs::create_directories(staging);
  try {
    const std::vector<std::string> prompts =
        data::build_prompts(bundle.manifest.dataset.prompt_template, bundle.manifest.dataset.class_names);
    for (const PipelineSamples& set : sets) {
      DistillOptions staged = options;
      staged.output = staging;
      io::ImageSetDescription description;
      description.class_names = bundle.manifest.dataset.class_names;
      description.parameters = options.settings.to_json();
      description.parameters["ipc"] = options.ipc;
      description.parameters["pipeline"] = pipeline_name(set.pipeline);
      description.parameters["dataset"] = options.dataset;
      description.parameters["closest_real_modes"] = options.closest_real_modes;
      description.bundle = bundle_identity(bundle);
      description.seeds = {{"base", options.settings.seed},
                           {"noise", "SplitMix64 of (seed, class, slot)"},
                           {"kmeans", "seed + class index"}};
      io::ImageSetWriter writer(distilled_set_folder(staged, set.pipeline), description, job);
      for (const GeneratedSample& sample : set.samples) {
        io::ImageProvenance provenance;
        provenance.class_index = sample.class_index;
        provenance.slot = sample.slot;
        provenance.pipeline = pipeline_name(sample.pipeline);
        provenance.mode = "k-means centre " + std::to_string(sample.slot) + " of class " + std::to_string(sample.class_index);
        provenance.extra = {{"prompt", prompts[sample.class_index]},
                            {"class_name", bundle.manifest.dataset.class_names[sample.class_index]},
                            {"seed", std::to_string(options.settings.seed)},
                            {"parameters", options.settings.to_json().dump()}};
        writer.add(sample.image, provenance);
      }
      writer.commit();
    }

    // Marker with the run's parameters, then the swap.
    json marker = {{"format", "evlf-distill"}, {"bundle", bundle_identity(bundle)},
                   {"settings", options.settings.to_json()}, {"ipc", options.ipc}};
    for (const auto& set : sets) marker["sets"].push_back(pipeline_name(set.pipeline));
    if (sets.size() > 1) io::write_text_atomically(staging / kDistillMarker, marker.dump(2) + "\n");
    job.throw_if_cancelled();

    const fs::path old = io::temporary_sibling(output);
    const bool replace = fs::exists(output);
    if (replace) fs::rename(output, old);
    fs::rename(staging, output);
    if (replace) fs::remove_all(old);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }

  std::vector<fs::path> folders;
  for (const auto& set : sets) folders.push_back(distilled_set_folder(DistillOptions{options}, set.pipeline));
  return folders;
}

}  // namespace evlf::distill
