// Denoiser training; the loop follows DiT `train.py`, the fine-tuning and the
// memory terms follow the Minimax diffusion fine-tuning script (Gu et al.,
// "Efficient Dataset Distillation via Minimax Diffusion", CVPR 2024).
#include "core/distill/denoiser_trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <sstream>

#include "core/io/safetensors.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::distill {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Cosine similarity of every row of a [P, F] with every row of b [Q, F].
torch::Tensor pairwise_cosine(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::matmul(a, b.t()) / (a.norm(2, 1).unsqueeze(1) * b.norm(2, 1).unsqueeze(0));  // [P, Q]
}

/// \brief Per-class FIFO memories of flattened latents (ring buffers).
struct ClassMemory {
  torch::Tensor items;  // [K, M, F]
  torch::Tensor count;  // [K] int64, members stored (at most M)
  torch::Tensor next;   // [K] int64, slot the next member overwrites

  ClassMemory(int64_t classes, int64_t size, int64_t features, torch::Device device)
      : items(torch::zeros({classes, size, features}, torch::TensorOptions().device(device))),
        count(torch::zeros({classes}, torch::kLong)),
        next(torch::zeros({classes}, torch::kLong)) {}

  /// Copies the stored members of class c, so later pushes leave the autograd graph intact.
  torch::Tensor members(int64_t c) const { return items[c].narrow(0, 0, count[c].item<int64_t>()).clone(); }  // [m, F]

  void push(int64_t c, const torch::Tensor& rows) {  // rows [r, F]
    const int64_t size = items.size(1);
    for (int64_t r = 0; r < rows.size(0); ++r) {
      const int64_t slot = next[c].item<int64_t>();
      items[c][slot].copy_(rows[r]);
      next[c] = (slot + 1) % size;
      count[c] = std::min<int64_t>(count[c].item<int64_t>() + 1, size);
    }
  }
};

/// Trainable parameters by checkpoint name, in registration order.
std::vector<std::pair<std::string, torch::Tensor>> trainable_parameters(const models::DiT& model) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : model->named_parameters()) {
    if (item.value().requires_grad()) out.emplace_back(item.key(), item.value());
  }
  return out;
}

std::string optimizer_key(const torch::Tensor& parameter) {
  // LibTorch keys optimizer state by the parameter's TensorImpl address.
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

void save_checkpoint(const std::filesystem::path& path, int64_t step, const models::DiT& model,
                     const models::DiT& ema, torch::optim::AdamW& optimizer,
                     const std::vector<std::pair<std::string, torch::Tensor>>& trained,
                     const ClassMemory* real, const ClassMemory* fake) {
  io::TensorList tensors;
  for (const auto& [name, tensor] : model->state()) tensors.emplace_back("model." + name, tensor.detach());
  for (const auto& [name, tensor] : ema->state()) tensors.emplace_back("ema." + name, tensor.detach());
  auto& state = optimizer.state();
  for (const auto& [name, parameter] : trained) {
    const auto it = state.find(optimizer_key(parameter));
    if (it == state.end()) continue;
    auto& adam = static_cast<torch::optim::AdamWParamState&>(*it->second);
    tensors.emplace_back("optimizer." + name + ".exp_avg", adam.exp_avg());
    tensors.emplace_back("optimizer." + name + ".exp_avg_sq", adam.exp_avg_sq());
    tensors.emplace_back("optimizer." + name + ".step", torch::tensor({adam.step()}, torch::kLong));
  }
  if (real != nullptr && fake != nullptr) {
    tensors.emplace_back("minimax.real.items", real->items);
    tensors.emplace_back("minimax.real.count", real->count);
    tensors.emplace_back("minimax.real.next", real->next);
    tensors.emplace_back("minimax.fake.items", fake->items);
    tensors.emplace_back("minimax.fake.count", fake->count);
    tensors.emplace_back("minimax.fake.next", fake->next);
  }
  io::save_safetensors(path, tensors, {{"step", std::to_string(step)}, {"model", model->options().to_string()}});
}

int64_t load_checkpoint(const std::filesystem::path& path, models::DiT& model, models::DiT& ema,
                        torch::optim::AdamW& optimizer,
                        const std::vector<std::pair<std::string, torch::Tensor>>& trained, ClassMemory* real,
                        ClassMemory* fake) {
  const auto file = io::SafetensorsFile::open(path);
  model->load_state(file.tensors("model."));
  ema->load_state(file.tensors("ema."));
  const auto device = model->pos_embed.device();
  for (const auto& [name, parameter] : trained) {
    const std::string prefix = "optimizer." + name;
    if (!file.contains(prefix + ".exp_avg")) continue;
    auto adam = std::make_unique<torch::optim::AdamWParamState>();
    adam->exp_avg(file.tensor(prefix + ".exp_avg").to(device));
    adam->exp_avg_sq(file.tensor(prefix + ".exp_avg_sq").to(device));
    adam->step(file.tensor(prefix + ".step").item<int64_t>());
    optimizer.state()[optimizer_key(parameter)] = std::move(adam);
  }
  if (real != nullptr && fake != nullptr) {
    if (!file.contains("minimax.real.items")) {
      throw Error("checkpoint " + path.string() + " has no Minimax memories; resume with minimax off or start anew");
    }
    real->items.copy_(file.tensor("minimax.real.items"));
    real->count.copy_(file.tensor("minimax.real.count"));
    real->next.copy_(file.tensor("minimax.real.next"));
    fake->items.copy_(file.tensor("minimax.fake.items"));
    fake->count.copy_(file.tensor("minimax.fake.count"));
    fake->next.copy_(file.tensor("minimax.fake.next"));
  }
  return file.metadata_int("step");
}

void update_ema(const models::DiT& ema, const models::DiT& model, double decay) {
  torch::NoGradGuard no_grad;
  auto ema_parameters = ema->named_parameters();
  for (const auto& item : model->named_parameters()) {
    ema_parameters[item.key()].mul_(decay).add_(item.value().detach(), 1.0 - decay);
  }
}

void check_data(const DenoiserTrainData& data, const models::DiTOptions& options) {
  const auto& x = data.latents;
  if (!x.defined() || x.dim() != 4 || x.size(1) != options.in_channels || x.size(2) != options.input_size ||
      x.size(3) != options.input_size || x.size(0) == 0) {
    throw Error("training latents have shape " + (x.defined() ? c10::str(x.sizes()) : std::string("none")) +
                ", expected [N, " + std::to_string(options.in_channels) + ", " + std::to_string(options.input_size) +
                ", " + std::to_string(options.input_size) + "] with N > 0");
  }
  if (!data.labels.defined() || data.labels.dim() != 1 || data.labels.size(0) != x.size(0)) {
    throw Error("training labels must be [" + std::to_string(x.size(0)) + "]");
  }
  if (data.labels.min().item<int64_t>() < 0 || data.labels.max().item<int64_t>() >= options.num_classes) {
    throw Error("training labels must lie in [0, " + std::to_string(options.num_classes) + ")");
  }
  if (options.text_dim > 0 && (!data.class_text.defined() || data.class_text.dim() != 3 ||
                               data.class_text.size(0) != options.num_classes ||
                               data.class_text.size(2) != options.text_dim)) {
    throw Error("a DiT with text_dim " + std::to_string(options.text_dim) + " needs class_text [" +
                std::to_string(options.num_classes) + ", T, " + std::to_string(options.text_dim) + "]");
  }
}

}  // namespace

std::string DenoiserTrainOptions::to_string() const {
  std::ostringstream out;
  out << "DenoiserTrain(steps " << steps << ", batch_size " << batch_size << ", learning_rate " << learning_rate
      << ", weight_decay " << weight_decay << ", ema_decay " << ema_decay << ", fine_tune "
      << (fine_tune ? "true" : "false") << ", seed " << seed << ", minimax " << (minimax ? "true" : "false")
      << ", lambda_pos " << lambda_pos << ", lambda_neg " << lambda_neg << ", memory_size " << memory_size
      << ", representative_target "
      << (representative_target == RepresentativeTarget::MostSimilar ? "most_similar" : "least_similar") << ", "
      << diffusion.to_string() << ")";
  return out.str();
}

double ema_decay_at(double decay, int64_t step) {
  return std::min(decay, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

bool is_fine_tune_parameter(const std::string& name) {
  for (const char* keyword : {"bias", "norm", "gamma", "y_embed"}) {
    if (name.find(keyword) != std::string::npos) return true;
  }
  return false;
}

DenoiserTrainResult train_denoiser(models::DiT model, models::DiT ema, const DenoiserTrainData& data,
                                   const DenoiserTrainOptions& options, const JobControl& control) {
  const auto& model_options = model->options();
  check_data(data, model_options);
  if (ema->options().to_string() != model_options.to_string()) {
    throw Error("EMA model " + ema->options().to_string() + " differs from the model " + model_options.to_string());
  }
  if (options.diffusion.learn_sigma != model_options.learn_sigma) {
    throw Error("diffusion learn_sigma and the DiT's learn_sigma differ; set both the same");
  }
  if (options.batch_size <= 0 || options.steps < 0 || options.memory_size <= 0) {
    throw Error("denoiser training needs batch_size > 0, steps >= 0 and memory_size > 0");
  }
  logger()->info("train denoiser: {} on {}", options.to_string(), model_options.to_string());

  const auto device = model->pos_embed.device();
  const diffusion::GaussianDiffusion diffusion(options.diffusion);
  const auto latents = data.latents.to(device, torch::kFloat);
  const auto labels = data.labels.to(device, torch::kLong);
  const auto class_text = data.class_text.defined() ? data.class_text.to(device, torch::kFloat) : torch::Tensor();

  for (const auto& item : model->named_parameters()) {
    item.value().set_requires_grad(!options.fine_tune || is_fine_tune_parameter(item.key()));
  }
  for (auto& parameter : ema->parameters()) parameter.set_requires_grad(false);
  const auto trained = trainable_parameters(model);
  std::vector<torch::Tensor> parameters;
  for (const auto& item : trained) parameters.push_back(item.second);
  torch::optim::AdamW optimizer(
      parameters, torch::optim::AdamWOptions(options.learning_rate).weight_decay(options.weight_decay));

  const int64_t features = model_options.in_channels * model_options.input_size * model_options.input_size;
  std::optional<ClassMemory> real_memory, fake_memory;
  if (options.minimax) {
    real_memory.emplace(model_options.num_classes, options.memory_size, features, device);
    fake_memory.emplace(model_options.num_classes, options.memory_size, features, device);
  }
  ClassMemory* real = real_memory ? &*real_memory : nullptr;
  ClassMemory* fake = fake_memory ? &*fake_memory : nullptr;

  DenoiserTrainResult result;
  const bool has_checkpoint = !options.checkpoint_path.empty() && std::filesystem::exists(options.checkpoint_path);
  if (options.resume && has_checkpoint) {
    result.resumed_from = load_checkpoint(options.checkpoint_path, model, ema, optimizer, trained, real, fake);
    logger()->info("train denoiser: resumed from {} at step {}", options.checkpoint_path.string(), result.resumed_from);
  } else {
    update_ema(ema, model, /*decay=*/0.0);
  }
  auto checkpoint = [&](int64_t step) {
    if (!options.checkpoint_path.empty()) {
      save_checkpoint(options.checkpoint_path, step, model, ema, optimizer, trained, real, fake);
    }
  };

  model->train();
  ema->eval();
  const int64_t N = latents.size(0), B = options.batch_size, C = model_options.in_channels;
  for (int64_t step = result.resumed_from; step < options.steps; ++step) {
    if (control.cancelled()) {
      checkpoint(step);
      throw CancelledError();
    }

    // Every random draw of a step comes from a generator seeded by (seed, step),
    // so a resumed run draws what the uninterrupted run drew.
    auto generator = at::detail::createCPUGenerator(splitmix64(options.seed ^ splitmix64(static_cast<uint64_t>(step))));
    const auto index = torch::randint(N, {B}, generator, torch::kLong).to(device);                   // [B]
    const auto t = torch::randint(diffusion.num_timesteps(), {B}, generator, torch::kLong).to(device);  // [B]
    const auto noise = torch::randn({B, C, latents.size(2), latents.size(3)}, generator).to(device);  // [B, C, H, W]
    const auto drop = (torch::rand({B}, generator) < model_options.class_dropout_prob).to(device);   // [B]

    const auto x_start = latents.index_select(0, index);
    const auto y = labels.index_select(0, index);
    const auto text = class_text.defined() ? class_text.index_select(0, y) : torch::Tensor();  // [B, T, E]
    const auto x_t = diffusion.q_sample(x_start, t, noise);
    const auto output = model->forward(x_t, diffusion.model_timesteps(t), y, text, drop);
    const auto terms = diffusion.training_losses(output, x_start, x_t, t, noise);
    auto loss = terms.loss.mean();

    // Minimax terms per class present in the batch, each weighted by
    // 1 / (classes in the batch) and added once to the loss.
    // NOTE: the embedding is the x_0 prediction, which lives in the space of
    // the real latents. The published script compares the raw model output.
    double pos_value = 0.0, neg_value = 0.0;
    if (options.minimax) {
      const auto pred_xstart = diffusion.p_mean_variance(output, x_t, t).pred_xstart.flatten(1);  // [B, F]
      const auto classes = std::get<0>(torch::_unique(y.cpu(), /*sorted=*/true));
      const double per_class = 1.0 / static_cast<double>(classes.size(0));
      auto pos = torch::zeros({}, loss.options()), neg = torch::zeros({}, loss.options());
      for (int64_t k = 0; k < classes.size(0); ++k) {
        const int64_t c = classes[k].item<int64_t>();
        const auto rows = (y == c).nonzero().squeeze(1);
        const auto pred = pred_xstart.index_select(0, rows);  // [b_c, F]
        if (fake->count[c].item<int64_t>() > 0) {
          const auto real_sim = pairwise_cosine(pred, real->members(c));  // [b_c, m]
          const auto closest = options.representative_target == RepresentativeTarget::MostSimilar ? real_sim.max()
                                                                                                   : real_sim.min();
          pos = pos + options.lambda_pos * per_class * (1.0 - closest);
          neg = neg + options.lambda_neg * per_class * pairwise_cosine(pred, fake->members(c)).max();
        }
        real->push(c, x_start.index_select(0, rows).flatten(1).detach());
        fake->push(c, pred.detach());
      }
      loss = loss + pos + neg;
      pos_value = pos.item<double>();
      neg_value = neg.item<double>();
    }

    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    update_ema(ema, model, ema_decay_at(options.ema_decay, step));

    const double loss_value = terms.loss.mean().item<double>();
    if (!std::isfinite(loss_value)) {
      throw Error("denoiser loss became " + std::to_string(loss_value) + " at step " + std::to_string(step) +
                  "; lower the learning rate");
    }
    result.losses.push_back(loss_value);
    result.pos_terms.push_back(pos_value);
    result.neg_terms.push_back(neg_value);
    result.step = step + 1;
    control.report({"train denoiser", step + 1, options.steps,
                    {{"loss", loss_value}, {"pos", pos_value}, {"neg", neg_value}}, {}});
    if (options.log_every > 0 && (step + 1) % options.log_every == 0) {
      logger()->info("train denoiser: step {} loss {:.4f} pos {:.5f} neg {:.5f}", step + 1, loss_value, pos_value,
                     neg_value);
    }
    if (options.checkpoint_every > 0 && (step + 1) % options.checkpoint_every == 0) checkpoint(step + 1);
  }
  result.step = std::max(result.step, result.resumed_from);
  if (options.checkpoint_every <= 0 || result.step % options.checkpoint_every != 0) checkpoint(result.step);
  model->eval();
  return result;
}

}  // namespace evlf::distill
