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

std::string adam_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

}  // namespace

torch::Generator derived_generator(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t mixed = splitmix64(splitmix64(splitmix64(seed) ^ stream) ^ index);
  return at::detail::createCPUGenerator(mixed);
}

void save_training_checkpoint(const fs::path& path, const std::vector<CheckpointModule>& modules,
                              torch::optim::AdamW& optimizer, int64_t step, const std::string& settings) {
  io::TensorList tensors;
  auto& adam_state = optimizer.state();
  for (const CheckpointModule& entry : modules) {
    for (const auto& item : entry.module->named_parameters()) {
      const std::string name = entry.prefix + item.key();
      tensors.emplace_back(name, item.value());
      auto found = adam_state.find(adam_key(item.value()));
      if (found == adam_state.end()) continue;
      auto& s = static_cast<torch::optim::AdamWParamState&>(*found->second);
      tensors.emplace_back("adamw." + name + ".exp_avg", s.exp_avg());
      tensors.emplace_back("adamw." + name + ".exp_avg_sq", s.exp_avg_sq());
      tensors.emplace_back("adamw." + name + ".step", torch::scalar_tensor(s.step(), torch::kLong));
    }
    for (const auto& item : entry.module->named_buffers()) tensors.emplace_back(entry.prefix + item.key(), item.value());
  }
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path());
  io::save_safetensors(path, tensors, {{"step", std::to_string(step)}, {"settings", settings}});
}

int64_t load_training_checkpoint(const fs::path& path, const std::vector<CheckpointModule>& modules,
                                 torch::optim::AdamW& optimizer, const std::string& settings) {
  const io::SafetensorsFile file = io::SafetensorsFile::open(path);
  if (file.metadata().count("settings") == 0 || file.metadata_value("settings") != settings) {
    throw Error("checkpoint '" + path.string() + "' belongs to a run with other settings:\n  checkpoint: " +
                (file.metadata().count("settings") ? file.metadata_value("settings") : std::string("(none)")) +
                "\n  this run:   " + settings + "\nremove it or use the same settings to resume");
  }

  torch::NoGradGuard no_grad;
  auto& adam_state = optimizer.state();
  for (const CheckpointModule& entry : modules) {
    for (auto& item : entry.module->named_parameters()) {
      const std::string name = entry.prefix + item.key();
      item.value().copy_(file.tensor(name));
      if (!file.contains("adamw." + name + ".step")) continue;
      auto state = std::make_unique<torch::optim::AdamWParamState>();
      state->step(file.tensor("adamw." + name + ".step").item<int64_t>());
      state->exp_avg(file.tensor("adamw." + name + ".exp_avg").to(item.value().device()));
      state->exp_avg_sq(file.tensor("adamw." + name + ".exp_avg_sq").to(item.value().device()));
      adam_state[adam_key(item.value())] = std::move(state);
    }
    for (auto& item : entry.module->named_buffers()) item.value().copy_(file.tensor(entry.prefix + item.key()));
  }
  return file.metadata_int("step");
}

}  // namespace evlf::distill
