#include "core/models/state_dict.h"

#include <sstream>

#include <torch/torch.h>

#include "core/runtime/error.h"

namespace evlf::models {

std::string shape_string(torch::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

void load_state_dict(torch::nn::Module& module, const TensorMap& weights, const std::string& model,
                     const std::set<std::string>& ignored) {
  std::map<std::string, torch::Tensor> targets;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) targets[item.key()] = item.value();
  for (const auto& item : module.named_buffers(/*recurse=*/true)) targets[item.key()] = item.value();

  // Check everything before copying anything, so a rejected file leaves the
  // module untouched.
  for (const auto& [name, target] : targets) {
    const auto found = weights.find(name);
    if (found == weights.end()) {
      throw Error(model + " weights: missing tensor '" + name + "' (expected shape " + shape_string(target.sizes()) +
                  ")");
    }
    if (found->second.sizes() != target.sizes()) {
      throw Error(model + " weights: tensor '" + name + "' has shape " + shape_string(found->second.sizes()) +
                  ", expected " + shape_string(target.sizes()) + " from the configuration");
    }
  }
  for (const auto& [name, value] : weights) {
    if (targets.count(name) == 0 && ignored.count(name) == 0) {
      throw Error(model + " weights: unexpected tensor '" + name + "' with shape " + shape_string(value.sizes()) +
                  "; the configuration has no such parameter (check the key layout and the block counts)");
    }
  }

  torch::NoGradGuard no_grad;
  for (auto& [name, target] : targets) {
    target.copy_(weights.at(name).to(target.device(), target.scalar_type()));
  }
}

TensorMap state_dict(const torch::nn::Module& module) {
  TensorMap result;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    result[item.key()] = item.value().detach().to(torch::kCPU).contiguous();
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    result[item.key()] = item.value().detach().to(torch::kCPU).contiguous();
  }
  return result;
}

const torch::Tensor& require_tensor(const TensorMap& weights, const std::string& name, const std::string& model) {
  const auto found = weights.find(name);
  if (found == weights.end()) throw Error(model + " weights: missing tensor '" + name + "'");
  return found->second;
}

TensorMap strip_prefix(const TensorMap& weights, const std::string& prefix) {
  TensorMap result;
  for (const auto& [name, value] : weights) {
    if (name.compare(0, prefix.size(), prefix) == 0) result[name.substr(prefix.size())] = value;
  }
  return result;
}

}  // namespace evlf::models
