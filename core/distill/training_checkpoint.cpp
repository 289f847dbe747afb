#include "core/distill/training_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/io/safetensors.h"
#include "core/runtime/error.h"

namespace evlf::distill {
namespace fs = std::filesystem;

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string state_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

}  // namespace

torch::Generator derived_generator(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t mixed = splitmix64(splitmix64(splitmix64(seed) ^ stream) ^ index);
  return at::detail::createCPUGenerator(mixed);
}

namespace {

/// Appends the optimizer's per-parameter state of `parameter`, if it has one.
void append_state(io::TensorList& tensors, const std::string& name, const torch::Tensor& parameter,
                  torch::optim::AdamW& optimizer) {
  auto found = optimizer.state().find(state_key(parameter));
  if (found == optimizer.state().end()) return;
  auto& s = static_cast<torch::optim::AdamWParamState&>(*found->second);
  tensors.emplace_back("adamw." + name + ".exp_avg", s.exp_avg());
  tensors.emplace_back("adamw." + name + ".exp_avg_sq", s.exp_avg_sq());
  tensors.emplace_back("adamw." + name + ".step", torch::scalar_tensor(s.step(), torch::kLong));
}

void append_state(io::TensorList& tensors, const std::string& name, const torch::Tensor& parameter,
                  torch::optim::SGD& optimizer) {
  auto found = optimizer.state().find(state_key(parameter));
  if (found == optimizer.state().end()) return;
  auto& s = static_cast<torch::optim::SGDParamState&>(*found->second);
  if (s.momentum_buffer().defined()) tensors.emplace_back("sgd." + name + ".momentum", s.momentum_buffer());
}

/// Restores what append_state wrote for `parameter`, if the file has it.
void restore_state(const io::SafetensorsFile& file, const std::string& name, const torch::Tensor& parameter,
                   torch::optim::AdamW& optimizer) {
  if (!file.contains("adamw." + name + ".step")) return;
  auto state = std::make_unique<torch::optim::AdamWParamState>();
  state->step(file.tensor("adamw." + name + ".step").item<int64_t>());
  state->exp_avg(file.tensor("adamw." + name + ".exp_avg").to(parameter.device()));
  state->exp_avg_sq(file.tensor("adamw." + name + ".exp_avg_sq").to(parameter.device()));
  optimizer.state()[state_key(parameter)] = std::move(state);
}

void restore_state(const io::SafetensorsFile& file, const std::string& name, const torch::Tensor& parameter,
                   torch::optim::SGD& optimizer) {
  if (!file.contains("sgd." + name + ".momentum")) return;
  auto state = std::make_unique<torch::optim::SGDParamState>();
  state->momentum_buffer(file.tensor("sgd." + name + ".momentum").to(parameter.device()));
  optimizer.state()[state_key(parameter)] = std::move(state);
}

template <typename Optimizer>
void save_checkpoint(const fs::path& path, const std::vector<CheckpointModule>& modules, Optimizer& optimizer,
                     int64_t step, const std::string& settings, const std::map<std::string, torch::Tensor>& extras) {
  io::TensorList tensors;
  for (const CheckpointModule& entry : modules) {
    for (const auto& item : entry.module->named_parameters()) {
      const std::string name = entry.prefix + item.key();
      tensors.emplace_back(name, item.value());
      append_state(tensors, name, item.value(), optimizer);
    }
    for (const auto& item : entry.module->named_buffers()) tensors.emplace_back(entry.prefix + item.key(), item.value());
  }
  for (const auto& [name, tensor] : extras) tensors.emplace_back("extra." + name, tensor);
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path());
  io::save_safetensors(path, tensors, {{"step", std::to_string(step)}, {"settings", settings}});
}

template <typename Optimizer>
int64_t load_checkpoint(const fs::path& path, const std::vector<CheckpointModule>& modules, Optimizer& optimizer,
                        const std::string& settings, std::map<std::string, torch::Tensor>* extras) {
  const io::SafetensorsFile file = io::SafetensorsFile::open(path);
  if (file.metadata().count("settings") == 0 || file.metadata_value("settings") != settings) {
    throw Error("checkpoint '" + path.string() + "' belongs to a run with other settings:\n  checkpoint: " +
                (file.metadata().count("settings") ? file.metadata_value("settings") : std::string("(none)")) +
                "\n  this run:   " + settings + "\nremove it or use the same settings to resume");
  }

  torch::NoGradGuard no_grad;
  for (const CheckpointModule& entry : modules) {
    for (auto& item : entry.module->named_parameters()) {
      const std::string name = entry.prefix + item.key();
      item.value().copy_(file.tensor(name));
      restore_state(file, name, item.value(), optimizer);
    }
    for (auto& item : entry.module->named_buffers()) item.value().copy_(file.tensor(entry.prefix + item.key()));
  }
  if (extras != nullptr) {
    for (auto& [name, tensor] : *extras) tensor = file.tensor("extra." + name);
  }
  return file.metadata_int("step");
}

}  // namespace

void save_training_checkpoint(const fs::path& path, const std::vector<CheckpointModule>& modules,
                              torch::optim::AdamW& optimizer, int64_t step, const std::string& settings) {
  save_checkpoint(path, modules, optimizer, step, settings, {});
}

int64_t load_training_checkpoint(const fs::path& path, const std::vector<CheckpointModule>& modules,
                                 torch::optim::AdamW& optimizer, const std::string& settings) {
  return load_checkpoint(path, modules, optimizer, settings, nullptr);
}

void save_training_checkpoint(const fs::path& path, const std::vector<CheckpointModule>& modules,
                              torch::optim::SGD& optimizer, int64_t step, const std::string& settings,
                              const std::map<std::string, torch::Tensor>& extras) {
  save_checkpoint(path, modules, optimizer, step, settings, extras);
}

int64_t load_training_checkpoint(const fs::path& path, const std::vector<CheckpointModule>& modules,
                                 torch::optim::SGD& optimizer, const std::string& settings,
                                 std::map<std::string, torch::Tensor>* extras) {
  return load_checkpoint(path, modules, optimizer, settings, extras);
}

}  // namespace evlf::distill
