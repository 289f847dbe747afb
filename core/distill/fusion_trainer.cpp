#include "core/distill/fusion_trainer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::distill {
namespace fs = std::filesystem;
using models::FusionModule;

namespace {

constexpr char kStage[] = "train fusion";
// Random streams derived from the seed: one permutation per epoch, one
// generator per batch for dropout and augmentation. Deriving them from the
// batch index means a resumed run draws exactly what an uninterrupted one does.
constexpr uint64_t kShuffleStream = 1;
constexpr uint64_t kBatchStream = 2;

// Mixes seed, stream and index with the SplitMix64 finaliser, so nearby
// indices give unrelated generator seeds.
uint64_t derive_seed(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (stream * 0x100000001b3ull + index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

at::Generator cpu_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

std::string shape_of(const torch::Tensor& t) { return c10::str(t.sizes()); }

void check_inputs(const FusionTrainingData& data, const models::FusionModuleOptions& fusion,
                  const LatentProjectorOptions& projector, const FusionTrainingOptions& options) {
  const auto& z = data.latents;
  if (!z.defined() || z.dim() != 4 || z.size(1) != fusion.latent_channels || z.size(2) != fusion.latent_size ||
      z.size(3) != fusion.latent_size || z.size(0) == 0) {
    throw Error("fusion training: latents have shape " + (z.defined() ? shape_of(z) : std::string("(none)")) +
                ", expected [N, " + std::to_string(fusion.latent_channels) + ", " +
                std::to_string(fusion.latent_size) + ", " + std::to_string(fusion.latent_size) + "] with N > 0");
  }
  if (!data.labels.defined() || data.labels.dim() != 1 || data.labels.size(0) != z.size(0)) {
    throw Error("fusion training: labels must be [" + std::to_string(z.size(0)) + "], one per latent");
  }
  const auto& e = data.text_embeds;
  if (!e.defined() || e.dim() != 3 || e.size(2) != fusion.text_dim || e.size(2) != projector.text_dim) {
    throw Error("fusion training: text embeddings must be [K, T, " + std::to_string(fusion.text_dim) +
                "] with the projector's text width " + std::to_string(projector.text_dim));
  }
  if (!data.token_ids.defined() || data.token_ids.dim() != 2 || data.token_ids.size(0) != e.size(0) ||
      data.token_ids.size(1) != e.size(1)) {
    throw Error("fusion training: token ids must be [K, T] = [" + std::to_string(e.size(0)) + ", " +
                std::to_string(e.size(1)) + "]");
  }
  const int64_t min_label = data.labels.min().item<int64_t>(), max_label = data.labels.max().item<int64_t>();
  if (min_label < 0 || max_label >= e.size(0)) {
    throw Error("fusion training: labels span [" + std::to_string(min_label) + ", " + std::to_string(max_label) +
                "] but there are text embeddings for " + std::to_string(e.size(0)) + " classes");
  }
  if (options.epochs <= 0 || options.batch_size <= 0 || options.grad_accumulation <= 0 ||
      options.checkpoint_every <= 0) {
    throw Error("fusion training: epochs, batch_size, grad_accumulation and checkpoint_every must be positive, got " +
                options.to_string());
  }
}

/// \brief Every trained tensor under its checkpoint name, and the optimizer over them.
struct TrainingState {
  std::vector<std::pair<std::string, torch::Tensor>> params;  // "fusion.*", "projector.*", "nce.logit_scale"
  torch::Tensor log_logit_scale;
  std::unique_ptr<torch::optim::AdamW> optimizer;
};

TrainingState make_state(FusionModule& fusion, LatentProjector& projector, const FusionTrainingOptions& options,
                         torch::Device device) {
  TrainingState state;
  std::vector<torch::Tensor> fusion_group, projector_group;
  for (auto& item : fusion->named_parameters()) {
    state.params.emplace_back("fusion." + item.key(), item.value());
    fusion_group.push_back(item.value());
  }
  for (auto& item : projector->named_parameters()) {
    state.params.emplace_back("projector." + item.key(), item.value());
    projector_group.push_back(item.value());
  }
  const double log_scale = std::log(1.0 / options.objective.temperature);
  state.log_logit_scale = torch::scalar_tensor(log_scale, torch::TensorOptions().device(device));
  if (options.objective.learn_logit_scale) {
    state.log_logit_scale.set_requires_grad(true);
    projector_group.push_back(state.log_logit_scale);
    state.params.emplace_back("nce.logit_scale", state.log_logit_scale);
  }

  using torch::optim::AdamWOptions;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(fusion_group, std::make_unique<AdamWOptions>(
                                        AdamWOptions(options.fusion_lr).weight_decay(options.weight_decay)));
  groups.emplace_back(projector_group, std::make_unique<AdamWOptions>(
                                           AdamWOptions(options.projector_lr).weight_decay(options.weight_decay)));
  state.optimizer = std::make_unique<torch::optim::AdamW>(
      groups, AdamWOptions(options.fusion_lr).weight_decay(options.weight_decay));
  return state;
}

std::string adam_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

// The run settings a checkpoint must share with the run that resumes it.
std::string run_signature(const FusionTrainingOptions& options, int64_t samples) {
  nlohmann::json j = {{"seed", options.seed},
                      {"epochs", options.epochs},
                      {"batch_size", options.batch_size},
                      {"grad_accumulation", options.grad_accumulation},
                      {"samples", samples}};
  return j.dump();
}

// Checkpoint layout: parameters under their own names. AdamW moments are
// "adamw.<name>.exp_avg" and ".exp_avg_sq", the step count "adamw.<name>.step"
// (I64 scalar). Gradients accumulated since the last optimizer step are
// "grad.<name>". Metadata: next batch, optimizer steps and the run signature.
void save_checkpoint(const fs::path& path, TrainingState& state, int64_t next_batch, int64_t optimizer_steps,
                     const std::string& signature, bool pending_grads) {
  io::TensorList tensors;
  auto& adam_state = state.optimizer->state();
  for (auto& [name, p] : state.params) {
    tensors.emplace_back(name, p.detach());
    auto it = adam_state.find(adam_key(p));
    if (it != adam_state.end()) {
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      tensors.emplace_back("adamw." + name + ".exp_avg", s.exp_avg());
      tensors.emplace_back("adamw." + name + ".exp_avg_sq", s.exp_avg_sq());
      tensors.emplace_back("adamw." + name + ".step", torch::scalar_tensor(s.step(), torch::kLong));
    }
    if (pending_grads && p.grad().defined()) tensors.emplace_back("grad." + name, p.grad());
  }
  io::save_safetensors(path, tensors,
                       {{"next_batch", std::to_string(next_batch)},
                        {"optimizer_steps", std::to_string(optimizer_steps)},
                        {"run", signature}});
  logger()->info("fusion training: checkpoint at batch {} written to {}", next_batch, path.string());
}

// Restores parameters, AdamW state and pending gradients; returns the next batch index.
int64_t load_checkpoint(const fs::path& path, TrainingState& state, const std::string& signature,
                        int64_t* optimizer_steps) {
  auto file = io::SafetensorsFile::open(path);
  if (file.metadata_value("run") != signature) {
    throw Error("fusion training: checkpoint " + path.string() + " belongs to run " + file.metadata_value("run") +
                ", not " + signature + "; delete it or set resume = false");
  }
  torch::NoGradGuard no_grad;
  auto& adam_state = state.optimizer->state();
  for (auto& [name, p] : state.params) {
    if (!file.contains(name)) throw Error("fusion training: checkpoint " + path.string() + " lacks '" + name + "'");
    torch::Tensor value = file.tensor(name);
    if (value.sizes() != p.sizes()) {
      throw Error("fusion training: checkpoint tensor '" + name + "' has shape " + shape_of(value) +
                  ", the model has " + shape_of(p));
    }
    p.copy_(value);
    if (file.contains("adamw." + name + ".step")) {
      auto s = std::make_unique<torch::optim::AdamWParamState>();
      s->step(file.tensor("adamw." + name + ".step").item<int64_t>());
      s->exp_avg(file.tensor("adamw." + name + ".exp_avg").to(p.device()));
      s->exp_avg_sq(file.tensor("adamw." + name + ".exp_avg_sq").to(p.device()));
      adam_state[adam_key(p)] = std::move(s);
    }
    if (file.contains("grad." + name)) p.mutable_grad() = file.tensor("grad." + name).to(p.device());
  }
  *optimizer_steps = file.metadata_int("optimizer_steps");
  return file.metadata_int("next_batch");
}

std::vector<torch::Tensor> all_params(const TrainingState& state) {
  std::vector<torch::Tensor> params;
  for (const auto& item : state.params) params.push_back(item.second);
  return params;
}

}  // namespace

FusionTrainingOptions FusionTrainingOptions::reference() {
  FusionTrainingOptions options;
  options.text_pooling = TextPooling::LastEot;
  return options;
}

std::string FusionTrainingOptions::to_string() const {
  nlohmann::json j = {{"epochs", epochs},
                      {"batch_size", batch_size},
                      {"grad_accumulation", grad_accumulation},
                      {"fusion_lr", fusion_lr},
                      {"projector_lr", projector_lr},
                      {"weight_decay", weight_decay},
                      {"max_grad_norm", max_grad_norm},
                      {"ramp_steps", ramp_steps},
                      {"seed", seed},
                      {"eos_id", eos_id},
                      {"text_pooling", text_pooling_name(text_pooling)},
                      {"augment_condition", augment_condition},
                      {"objective", nlohmann::json::parse(objective.to_string())},
                      {"checkpoint_path", checkpoint_path.string()},
                      {"checkpoint_every", checkpoint_every},
                      {"resume", resume}};
  return j.dump();
}

FusionTrainingResult train_fusion(FusionModule& fusion, LatentProjector& projector, const FusionTrainingData& data,
                                  const FusionTrainingOptions& options, const JobControl& job) {
  check_inputs(data, fusion->options(), projector->options(), options);
  const torch::Device device = fusion->parameters().front().device();
  projector->to(device);
  logger()->info("fusion training: {} samples, fusion {}, projector {}, options {}", data.latents.size(0),
                 fusion->options().to_string(), projector->options().to_string(), options.to_string());

  // Per-class pooled text targets from the clean embeddings.
  const torch::Tensor class_text = data.text_embeds.to(device, torch::kFloat32);  // [K, T, D]
  const torch::Tensor positions =
      eot_positions(data.token_ids, data.attention_mask, options.eos_id, options.text_pooling);  // [K]
  const torch::Tensor class_vec = gather_text_vector(class_text, positions);                   // [K, D]
  const torch::Tensor labels = data.labels.to(torch::kLong);

  const int64_t N = data.latents.size(0);
  const int64_t batches_per_epoch = (N + options.batch_size - 1) / options.batch_size;
  const int64_t total_batches = options.epochs * batches_per_epoch;
  const int64_t ramp_steps = options.ramp_steps > 0 ? options.ramp_steps : std::max<int64_t>(total_batches / 2, 1);
  const std::string signature = run_signature(options, N);

  TrainingState state = make_state(fusion, projector, options, device);
  FusionTrainingResult result;
  int64_t batch = 0;
  if (options.resume && !options.checkpoint_path.empty() && fs::exists(options.checkpoint_path)) {
    batch = load_checkpoint(options.checkpoint_path, state, signature, &result.optimizer_steps);
    result.resumed_from_batch = batch;
    logger()->info("fusion training: resumed at batch {} of {}", batch, total_batches);
  }

  fusion->train();
  projector->train();
  torch::Tensor permutation;
  int64_t permutation_epoch = -1;
  for (; batch < total_batches; ++batch) {
    const bool pending_grads = batch % options.grad_accumulation != 0;
    if (job.cancelled()) {
      if (!options.checkpoint_path.empty()) {
        save_checkpoint(options.checkpoint_path, state, batch, result.optimizer_steps, signature, pending_grads);
      }
      throw CancelledError();
    }

    // Gather the batch: a fresh permutation each epoch, drawn from the epoch's own stream.
    const int64_t epoch = batch / batches_per_epoch;
    if (epoch != permutation_epoch) {
      auto shuffle = cpu_generator(derive_seed(options.seed, kShuffleStream, static_cast<uint64_t>(epoch)));
      permutation = torch::randperm(N, shuffle, torch::kLong);
      permutation_epoch = epoch;
    }
    const int64_t begin = (batch % batches_per_epoch) * options.batch_size;
    const torch::Tensor index = permutation.slice(0, begin, std::min(begin + options.batch_size, N));
    const torch::Tensor z_img = data.latents.index_select(0, index).to(device, torch::kFloat32);  // [B, C, h, w]
    const torch::Tensor y = labels.index_select(0, index).to(device);                              // [B]
    const torch::Tensor text = class_text.index_select(0, y);                                      // [B, T, D]
    const torch::Tensor text_vec = class_vec.index_select(0, y);                                   // [B, D]

    // Forward and loss; dropout and augmentation draw from this batch's generator.
    auto generator = cpu_generator(derive_seed(options.seed, kBatchStream, static_cast<uint64_t>(batch)));
    const torch::Tensor condition =
        options.augment_condition ? augment_condition(text, options.augmentation, generator) : text;
    const torch::Tensor z_fused = fusion->forward(z_img, condition, /*return_attention=*/false, generator).fused;
    const torch::Tensor projected = projector(z_fused);  // [B, D]
    const double lambda2 = lambda2_at(batch, ramp_steps, options.objective);
    FusionLossTerms terms = fusion_loss(z_fused, z_img, projected, text_vec, y, state.log_logit_scale,
                                        options.objective.lambda1, lambda2);
    const double loss = terms.total.item<double>();
    if (!std::isfinite(loss)) {
      throw Error("fusion training: loss became " + std::to_string(loss) + " at batch " + std::to_string(batch) +
                  "; lower the learning rates or check the latents for NaN");
    }
    // NOTE: the loss is divided by the accumulation count, so an optimizer step
    // applies the mean gradient. Whether the published loop divides is not known.
    (terms.total / static_cast<double>(options.grad_accumulation)).backward();

    // Optimizer step after every grad_accumulation batches, and after the last batch.
    const bool step_now = (batch + 1) % options.grad_accumulation == 0 || batch + 1 == total_batches;
    if (step_now) {
      if (options.max_grad_norm > 0.0) torch::nn::utils::clip_grad_norm_(all_params(state), options.max_grad_norm);
      state.optimizer->step();
      state.optimizer->zero_grad();
      ++result.optimizer_steps;
      if (!options.checkpoint_path.empty() && result.optimizer_steps % options.checkpoint_every == 0) {
        save_checkpoint(options.checkpoint_path, state, batch + 1, result.optimizer_steps, signature, false);
      }
    }

    result.final_loss = loss;
    ProgressEvent event;
    event.stage = kStage;
    event.step = batch + 1;
    event.total = total_batches;
    event.metrics = {{"loss_total", loss},
                     {"loss_infonce", terms.infonce.item<double>()},
                     {"loss_l2", terms.l2.item<double>()},
                     {"lambda2", lambda2},
                     {"lr_fusion", options.fusion_lr}};
    job.report(event);
  }

  if (!options.checkpoint_path.empty()) {
    save_checkpoint(options.checkpoint_path, state, total_batches, result.optimizer_steps, signature, false);
  }
  fusion->eval();
  projector->eval();
  result.batches = total_batches;
  result.logit_scale = state.log_logit_scale.exp().item<double>();
  logger()->info("fusion training: finished {} batches, {} optimizer steps, last loss {:.6f}", total_batches,
                 result.optimizer_steps, result.final_loss);
  return result;
}

}  // namespace evlf::distill
