#include "core/distill/autoencoder_trainer.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/data/transforms.h"
#include "core/distill/training_checkpoint.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::distill {
namespace {

constexpr int64_t kEvalBatch = 256;
constexpr uint64_t kBatchStream = 1;
constexpr uint64_t kNoiseStream = 2;
constexpr double kFinalLearningRateFraction = 0.1;

double cosine_learning_rate(const AutoencoderTrainOptions& options, int64_t step) {
  const double progress = double(step) / double(std::max<int64_t>(1, options.steps));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return options.learning_rate * (kFinalLearningRateFraction + (1.0 - kFinalLearningRateFraction) * cosine);
}

}  // namespace

std::string AutoencoderTrainOptions::to_string() const {
  return nlohmann::json{          {"batch_size", batch_size}, {"learning_rate", learning_rate},
                        {"weight_decay", weight_decay}, {"kl_weight", kl_weight}, {"image_size", image_size},
                        {"seed", seed}}
      .dump();
}

AutoencoderTrainResult train_autoencoder(models::AutoencoderKL& model, const torch::Tensor& images,
                                         const AutoencoderTrainOptions& options, const JobControl& job) {
  if (images.dim() != 4 || images.size(0) == 0) {
    throw Error("autoencoder training needs images [N, C, H, W], got " + c10::str(images.sizes()));
  }
  const torch::Device device = model->parameters().front().device();
  const int64_t n = images.size(0);
  model->train();

  torch::optim::AdamW optimizer(model->parameters(),
                                torch::optim::AdamWOptions(options.learning_rate).weight_decay(options.weight_decay));
  const std::vector<CheckpointModule> modules = {{"model.", model.get()}};
  const std::string settings = options.to_string();

  // Resume.
  AutoencoderTrainResult result;
  int64_t step = 0;
  if (!options.checkpoint_path.empty() && options.resume && std::filesystem::exists(options.checkpoint_path)) {
    step = load_training_checkpoint(options.checkpoint_path, modules, optimizer, settings);
    result.resumed_from = step;
    logger()->info("resumed autoencoder training at step {} from {}", step, options.checkpoint_path.string());
  }
  auto save = [&](int64_t next_step) {
    if (!options.checkpoint_path.empty()) save_training_checkpoint(options.checkpoint_path, modules, optimizer, next_step, settings);
  };

  for (; step < options.steps; ++step) {
    if (job.cancelled()) {
      save(step);
      throw CancelledError();
    }

    // Batch: drawn with replacement from a generator fixed by (seed, step).
    torch::Generator batch_generator = derived_generator(options.seed, kBatchStream, step);
    const torch::Tensor index = torch::randint(n, {options.batch_size}, batch_generator, torch::kLong);
    const torch::Tensor x = data::to_model_input(images.index_select(0, index), options.image_size).to(device);

    // Reconstruction and KL terms.
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(cosine_learning_rate(options, step));
    }
    torch::Generator noise_generator = derived_generator(options.seed, kNoiseStream, step);
    const models::AutoencoderOutput out = model->forward(x, /*sample_posterior=*/true, noise_generator);
    const torch::Tensor mse = torch::mse_loss(out.reconstruction, x);
    const torch::Tensor kl = out.posterior.kl().mean() / double(out.posterior.mean.numel() / out.posterior.mean.size(0));
    const torch::Tensor loss = mse + options.kl_weight * kl;

    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    result.final_loss = loss.item<double>();
    if (!std::isfinite(result.final_loss)) {
      throw Error("autoencoder loss became " + std::to_string(result.final_loss) + " at step " + std::to_string(step) +
                  "; lower the learning rate");
    }

    if ((step + 1) % options.log_every == 0 || step + 1 == options.steps) {
      job.report({"train autoencoder", step + 1, options.steps,
                  {{"loss", result.final_loss}, {"mse", mse.item<double>()}, {"kl", kl.item<double>()},
                   {"lr", cosine_learning_rate(options, step)}},
                  ""});
    }
    if (options.checkpoint_every > 0 && (step + 1) % options.checkpoint_every == 0) save(step + 1);
  }
  save(step);
  model->eval();
  result.step = step;
  return result;
}

double reconstruction_psnr(models::AutoencoderKL& model, const torch::Tensor& images, int64_t image_size,
                           const JobControl& job) {
  torch::NoGradGuard no_grad;
  model->eval();
  const torch::Device device = model->parameters().front().device();
  const int64_t n = images.size(0);
  double psnr_sum = 0.0;
  for (int64_t begin = 0; begin < n; begin += kEvalBatch) {
    job.throw_if_cancelled();
    const int64_t end = std::min(n, begin + kEvalBatch);
    const torch::Tensor original = images.slice(0, begin, end);
    const torch::Tensor x = data::to_model_input(original, image_size).to(device);
    const torch::Tensor mean = model->encode(x).mean;
    const torch::Tensor decoded = model->decode(mean).cpu();
    const torch::Tensor restored = data::from_model_output(decoded, original.size(2), original.size(3));
    const torch::Tensor error = (restored.to(torch::kFloat64) - original.to(torch::kFloat64)) / 255.0;
    const torch::Tensor mse = error.pow(2).flatten(1).mean(1).clamp_min(1e-12);  // [b]
    psnr_sum += (-10.0 * torch::log10(mse)).sum().item<double>();
    job.report({"psnr", end, n, {}, ""});
  }
  return psnr_sum / double(n);
}

double latent_std(models::AutoencoderKL& model, const torch::Tensor& images, int64_t image_size) {
  torch::NoGradGuard no_grad;
  model->eval();
  const torch::Device device = model->parameters().front().device();
  std::vector<torch::Tensor> means;
  for (int64_t begin = 0; begin < images.size(0); begin += kEvalBatch) {
    const int64_t end = std::min(images.size(0), begin + kEvalBatch);
    means.push_back(model->encode(data::to_model_input(images.slice(0, begin, end), image_size).to(device)).mean.cpu());
  }
  return torch::cat(means).std().item<double>();
}

}  // namespace evlf::distill
