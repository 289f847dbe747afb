// Checkpoints of a training run as one safetensors file: the trained
// modules' parameters and buffers, the AdamW moments or SGD momentum, the
// step, and metadata that identifies the run's settings.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace evlf::distill {

/// \brief A module whose state a checkpoint stores, under a name prefix.
struct CheckpointModule {
  std::string prefix;  // e.g. "model." — keys are prefix + parameter name
  torch::nn::Module* module = nullptr;
};

/// Writes modules, AdamW state and `step` atomically to `path`. `settings`
/// is stored as metadata and checked on load.
void save_training_checkpoint(const std::filesystem::path& path, const std::vector<CheckpointModule>& modules,
                              torch::optim::AdamW& optimizer, int64_t step, const std::string& settings);

/// Restores what save_training_checkpoint wrote and returns the step.
/// Throws evlf::Error when the file belongs to a run with other settings
/// (naming both) or misses a tensor.
int64_t load_training_checkpoint(const std::filesystem::path& path, const std::vector<CheckpointModule>& modules,
                                 torch::optim::AdamW& optimizer, const std::string& settings);

/// Saves and restores an SGD run (momentum buffers) in the same way.
/// `extras` are further tensors of the run, such as a generator state, stored
/// under "extra." + name. On load, each name already in `*extras` is read back.
void save_training_checkpoint(const std::filesystem::path& path, const std::vector<CheckpointModule>& modules,
                              torch::optim::SGD& optimizer, int64_t step, const std::string& settings,
                              const std::map<std::string, torch::Tensor>& extras = {});
int64_t load_training_checkpoint(const std::filesystem::path& path, const std::vector<CheckpointModule>& modules,
                                 torch::optim::SGD& optimizer, const std::string& settings,
                                 std::map<std::string, torch::Tensor>* extras = nullptr);

/// A generator seeded from (seed, stream, index), for draws that must repeat
/// after a resume (batch order, posterior noise, dropout).
torch::Generator derived_generator(uint64_t seed, uint64_t stream, uint64_t index);

}  // namespace evlf::distill
