// Strict loading of named tensors into a LibTorch module: every parameter
// and buffer must be present with its exact shape, and nothing else may be.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

namespace evlf::models {

/// Named tensors keyed by state-dict name, as read from a checkpoint.
using TensorMap = std::map<std::string, torch::Tensor>;

/// Formats a shape as "[2, 3, 4]" for messages.
std::string shape_string(torch::IntArrayRef shape);

/// Copies `weights` into the parameters and buffers of `module` (names as
/// `named_parameters()` reports them), converting dtype and device.
/// Throws evlf::Error naming the tensor for a missing tensor, a shape that
/// differs (with the expected and the found shape) or an unexpected tensor;
/// names in `ignored` are accepted and skipped. `model` names the model in
/// messages, e.g. "AutoencoderKL".
void load_state_dict(torch::nn::Module& module, const TensorMap& weights, const std::string& model,
                     const std::set<std::string>& ignored = {});

/// Returns the parameters and buffers of `module` as a name-sorted map of
/// CPU tensors, ready for io::save_safetensors.
TensorMap state_dict(const torch::nn::Module& module);

/// Returns the tensor `name` from `weights`, or throws evlf::Error naming it
/// and `model` when it is absent.
const torch::Tensor& require_tensor(const TensorMap& weights, const std::string& name, const std::string& model);

/// Returns `weights` with `prefix` removed from the names that start with it;
/// the other names are dropped.
TensorMap strip_prefix(const TensorMap& weights, const std::string& prefix);

}  // namespace evlf::models
