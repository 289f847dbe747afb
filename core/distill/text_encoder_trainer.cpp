#include "core/distill/text_encoder_trainer.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/data/prompts.h"
#include "core/data/transforms.h"
#include "core/distill/fusion_objective.h"
#include "core/distill/training_checkpoint.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::distill {
namespace {

constexpr uint64_t kBatchStream = 11;
constexpr uint64_t kCaptionStream = 12;
constexpr double kInitialTemperature = 0.07;
constexpr int64_t kRetrievalSamples = 2000;

/// Image tower: three stride-2 convolutions, global average pool, linear.
class ImageTowerImpl : public torch::nn::Module {
 public:
  ImageTowerImpl(int64_t channels, int64_t embed_dim)
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 32, 3).stride(2).padding(1)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).stride(2).padding(1)))),
        conv3(register_module("conv3", torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 128, 3).stride(2).padding(1)))),
        proj(register_module("proj", torch::nn::Linear(128, embed_dim))) {}

  torch::Tensor forward(const torch::Tensor& x) {      // [B, C, S, S]
    torch::Tensor h = torch::relu(conv1(x));            // [B, 32, S/2, S/2]
    h = torch::relu(conv2(h));                          // [B, 64, S/4, S/4]
    h = torch::relu(conv3(h));                          // [B, 128, S/8, S/8]
    return proj(h.mean({2, 3}));                        // [B, E]
  }

  torch::nn::Conv2d conv1, conv2, conv3;
  torch::nn::Linear proj;
};
TORCH_MODULE(ImageTower);

/// Text head: the encoder's pooled vector projected into the shared space.
class TextHeadImpl : public torch::nn::Module {
 public:
  TextHeadImpl(int64_t width, int64_t embed_dim)
      : text_projection(register_module("text_projection", torch::nn::Linear(torch::nn::LinearOptions(width, embed_dim).bias(false)))),
        log_logit_scale(register_parameter("log_logit_scale", torch::full({}, std::log(1.0 / kInitialTemperature)))) {}

  torch::nn::Linear text_projection;
  torch::Tensor log_logit_scale;
};
TORCH_MODULE(TextHead);

std::vector<std::string> batch_captions(const CaptionedImages& data, const torch::Tensor& index, uint64_t seed,
                                        int64_t step) {
  torch::Generator generator = derived_generator(seed, kCaptionStream, static_cast<uint64_t>(step));
  const torch::Tensor variants = torch::randint(1 << 20, {index.size(0)}, generator, torch::kLong);
  std::vector<std::string> captions;
  for (int64_t i = 0; i < index.size(0); ++i) {
    const int64_t sample = index[i].item<int64_t>();
    const int64_t label = data.labels[sample].item<int64_t>();
    captions.push_back(data::build_caption(data.class_names[label], data.attributes[sample],
                                           static_cast<uint64_t>(variants[i].item<int64_t>())));
  }
  return captions;
}

double class_retrieval_accuracy(models::ClipTextEncoder& text_encoder, TextHead& head, ImageTower& tower,
                                const models::ClipTokenizer& tokenizer, const CaptionedImages& data,
                                const std::string& prompt_template, int64_t image_size, torch::Device device) {
  torch::NoGradGuard no_grad;
  const std::vector<std::string> prompts = data::build_prompts(prompt_template, data.class_names);
  const auto tokens = tokenizer.tokenize(prompts);
  const torch::Tensor text = torch::nn::functional::normalize(
      head->text_projection(text_encoder->forward(tokens.ids.to(device)).pooled),
      torch::nn::functional::NormalizeFuncOptions().dim(1));  // [K, E]
  const int64_t n = std::min<int64_t>(kRetrievalSamples, data.images.size(0));
  const torch::Tensor x = data::to_model_input(data.images.slice(0, 0, n), image_size).to(device);
  const torch::Tensor image = torch::nn::functional::normalize(tower(x), torch::nn::functional::NormalizeFuncOptions().dim(1));
  const torch::Tensor predicted = image.matmul(text.t()).argmax(1).cpu();  // [n]
  return predicted.eq(data.labels.slice(0, 0, n)).to(torch::kFloat64).mean().item<double>();
}

}  // namespace

std::string TextEncoderTrainOptions::to_string() const {
  return nlohmann::json{{"batch_size", batch_size}, {"learning_rate", learning_rate},
                        {"weight_decay", weight_decay}, {"embed_dim", embed_dim}, {"image_size", image_size},
                        {"seed", seed}}
      .dump();
}

TextEncoderTrainResult train_text_encoder(models::ClipTextEncoder& text_encoder, const models::ClipTokenizer& tokenizer,
                                          const CaptionedImages& data, const std::string& prompt_template,
                                          const TextEncoderTrainOptions& options, const JobControl& job) {
  const int64_t n = data.images.size(0);
  if (n == 0 || data.labels.size(0) != n || static_cast<int64_t>(data.attributes.size()) != n) {
    throw Error("text-encoder training needs images, labels and attributes of equal count");
  }
  const torch::Device device = text_encoder->parameters().front().device();
  torch::manual_seed(options.seed);
  ImageTower tower(data.images.size(1), options.embed_dim);
  TextHead head(text_encoder->options().hidden_size, options.embed_dim);
  tower->to(device);
  head->to(device);
  text_encoder->train();

  std::vector<torch::Tensor> parameters = text_encoder->parameters();
  for (const auto& p : tower->parameters()) parameters.push_back(p);
  for (const auto& p : head->parameters()) parameters.push_back(p);
  torch::optim::AdamW optimizer(parameters,
                                torch::optim::AdamWOptions(options.learning_rate).weight_decay(options.weight_decay));
  const std::vector<CheckpointModule> modules = {
      {"text.", text_encoder.get()}, {"image.", tower.get()}, {"head.", head.get()}};
  const std::string settings = options.to_string();

  TextEncoderTrainResult result;
  int64_t step = 0;
  if (!options.checkpoint_path.empty() && options.resume && std::filesystem::exists(options.checkpoint_path)) {
    step = load_training_checkpoint(options.checkpoint_path, modules, optimizer, settings);
    result.resumed_from = step;
    logger()->info("resumed text-encoder training at step {}", step);
  }
  auto save = [&](int64_t next_step) {
    if (!options.checkpoint_path.empty()) save_training_checkpoint(options.checkpoint_path, modules, optimizer, next_step, settings);
  };

  for (; step < options.steps; ++step) {
    if (job.cancelled()) {
      save(step);
      throw CancelledError();
    }

    // Batch of images and freshly drawn captions.
    torch::Generator generator = derived_generator(options.seed, kBatchStream, static_cast<uint64_t>(step));
    const torch::Tensor index = torch::randint(n, {options.batch_size}, generator, torch::kLong);
    const torch::Tensor labels = data.labels.index_select(0, index).to(device);
    const torch::Tensor x = data::to_model_input(data.images.index_select(0, index), options.image_size).to(device);
    const auto tokens = tokenizer.tokenize(batch_captions(data, index, options.seed, step));

    // Symmetric multi-positive InfoNCE between the two towers.
    const torch::Tensor image_features = tower(x);                                                        // [B, E]
    const torch::Tensor text_features = head->text_projection(text_encoder->forward(tokens.ids.to(device)).pooled);  // [B, E]
    const torch::Tensor loss = multi_positive_info_nce(image_features, text_features, labels, head->log_logit_scale);

    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    {
      torch::NoGradGuard no_grad;
      head->log_logit_scale.clamp_(0.0, std::log(100.0));
    }
    result.final_loss = loss.item<double>();

    if ((step + 1) % options.log_every == 0 || step + 1 == options.steps) {
      job.report({"train text encoder", step + 1, options.steps,
                  {{"loss", result.final_loss}, {"logit_scale", head->log_logit_scale.exp().item<double>()}}, ""});
    }
    if (options.checkpoint_every > 0 && (step + 1) % options.checkpoint_every == 0) save(step + 1);
  }
  save(step);

  text_encoder->eval();
  tower->eval();
  result.step = step;
  result.retrieval_accuracy = class_retrieval_accuracy(text_encoder, head, tower, tokenizer, data, prompt_template,
                                                       options.image_size, device);
  return result;
}

}  // namespace evlf::distill
