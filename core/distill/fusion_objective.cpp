#include "core/distill/fusion_objective.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/runtime/error.h"

namespace evlf::distill {
namespace F = torch::nn::functional;

namespace {

// Kernel and stride of the projector's first convolution.
constexpr int64_t kProjectorStride = 4;

std::string shape_of(const torch::Tensor& t) { return c10::str(t.sizes()); }

}  // namespace

std::string LatentProjectorOptions::to_string() const {
  nlohmann::json j = {{"latent_channels", latent_channels},
                      {"mid_channels", mid_channels},
                      {"pool_size", pool_size},
                      {"text_dim", text_dim}};
  return j.dump();
}

std::string FusionObjectiveOptions::to_string() const {
  nlohmann::json j = {{"lambda1", lambda1},         {"lambda2_start", lambda2_start},
                      {"lambda2_end", lambda2_end}, {"temperature", temperature},
                      {"learn_logit_scale", learn_logit_scale}};
  return j.dump();
}

// ---- Projector ------------------------------------------------------------------

LatentProjectorImpl::LatentProjectorImpl(const LatentProjectorOptions& options) : options_(options) {
  const auto& o = options_;
  if (o.latent_channels <= 0 || o.mid_channels <= 0 || o.pool_size <= 0 || o.text_dim <= 0) {
    throw Error("latent projector: every size must be positive, got " + o.to_string());
  }
  conv_down = register_module(
      "conv_down", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.latent_channels, o.mid_channels, kProjectorStride)
                                         .stride(kProjectorStride)));
  fc = register_module("fc", torch::nn::Sequential(
                                 torch::nn::Linear(o.mid_channels * o.pool_size * o.pool_size, o.text_dim),
                                 torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.text_dim}))));
}

torch::Tensor LatentProjectorImpl::forward(const torch::Tensor& z) {
  if (z.dim() != 4 || z.size(1) != options_.latent_channels || z.size(2) < kProjectorStride ||
      z.size(3) < kProjectorStride) {
    throw Error("latent projector: latent has shape " + shape_of(z) + ", expected [B, " +
                std::to_string(options_.latent_channels) + ", h, w] with h, w >= 4");
  }
  torch::Tensor x = conv_down(z);                                                       // [B, M, h/4, w/4]
  x = F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions({options_.pool_size, options_.pool_size}));  // [B, M, P, P]
  return fc->forward(x.flatten(1));                                                     // [B, D]
}

// ---- Loss -------------------------------------------------------------------------

double lambda2_at(int64_t step, int64_t ramp_steps, const FusionObjectiveOptions& options) {
  if (ramp_steps <= 0 || step >= ramp_steps) return options.lambda2_end;
  const double progress = static_cast<double>(std::max<int64_t>(step, 0)) / static_cast<double>(ramp_steps);
  return options.lambda2_start + (options.lambda2_end - options.lambda2_start) * progress;
}

namespace {

// Mean over rows of −(logsumexp over positives of log p − log #positives).
torch::Tensor multi_positive_rows(const torch::Tensor& logits, const torch::Tensor& positive) {
  torch::Tensor log_p = torch::log_softmax(logits, 1);                                 // [B, B]
  torch::Tensor masked = log_p.masked_fill(positive.logical_not(), -std::numeric_limits<double>::infinity());
  torch::Tensor count = positive.sum(1).to(log_p.scalar_type());                       // [B]
  return -(torch::logsumexp(masked, 1) - torch::log(count)).mean();
}

}  // namespace

torch::Tensor multi_positive_info_nce(const torch::Tensor& image_features, const torch::Tensor& text_features,
                                      const torch::Tensor& labels, const torch::Tensor& log_logit_scale) {
  if (image_features.dim() != 2 || image_features.sizes() != text_features.sizes() || labels.dim() != 1 ||
      labels.size(0) != image_features.size(0)) {
    throw Error("InfoNCE: image features " + shape_of(image_features) + ", text features " +
                shape_of(text_features) + " and labels " + shape_of(labels) +
                " must be [B, D], [B, D] and [B]");
  }
  torch::Tensor image = F::normalize(image_features, F::NormalizeFuncOptions().dim(1));  // [B, D]
  torch::Tensor text = F::normalize(text_features, F::NormalizeFuncOptions().dim(1));    // [B, D]
  torch::Tensor logits = log_logit_scale.exp() * torch::matmul(image, text.t());        // [B, B]
  torch::Tensor positive = labels.unsqueeze(1) == labels.unsqueeze(0);                   // [B, B]

  torch::Tensor image_to_text = multi_positive_rows(logits, positive);
  torch::Tensor text_to_image = multi_positive_rows(logits.t(), positive.t());
  return (image_to_text + text_to_image) / 2;
}

FusionLossTerms fusion_loss(const torch::Tensor& z_fused, const torch::Tensor& z_img, const torch::Tensor& projected,
                            const torch::Tensor& text_vec, const torch::Tensor& labels,
                            const torch::Tensor& log_logit_scale, double lambda1, double lambda2) {
  if (z_fused.sizes() != z_img.sizes()) {
    throw Error("fusion loss: z_fused " + shape_of(z_fused) + " and z_img " + shape_of(z_img) +
                " must have the same shape");
  }
  FusionLossTerms terms;
  terms.infonce = multi_positive_info_nce(projected, text_vec, labels, log_logit_scale);
  terms.l2 = F::mse_loss(z_fused, z_img);
  terms.lambda2 = lambda2;
  terms.total = lambda1 * terms.infonce + lambda2 * terms.l2;
  return terms;
}

// ---- Condition augmentation -------------------------------------------------------------

torch::Tensor augment_condition(const torch::Tensor& text_embeds, const ConditionAugmentOptions& options,
                                at::Generator& generator) {
  auto cpu_float = torch::TensorOptions().dtype(torch::kFloat32);
  const double draw = torch::rand({1}, generator, cpu_float).item<double>();
  if (draw < options.drop_all_probability) return torch::zeros_like(text_embeds);

  torch::Tensor out = text_embeds;
  if (options.element_dropout > 0.0) {
    const double keep_probability = 1.0 - options.element_dropout;
    torch::Tensor keep = torch::empty(text_embeds.sizes(), cpu_float).bernoulli_(keep_probability, generator);
    out = out * keep.to(out.device(), out.scalar_type()) / keep_probability;
  }
  if (options.noise_std > 0.0) {
    torch::Tensor noise = torch::randn(text_embeds.sizes(), generator, cpu_float);
    out = out + options.noise_std * noise.to(out.device(), out.scalar_type());
  }
  return out;
}

// ---- Text pooling -----------------------------------------------------------------------

TextPooling parse_text_pooling(const std::string& name) {
  if (name == "first_eot") return TextPooling::FirstEot;
  if (name == "last_eot") return TextPooling::LastEot;
  throw Error("text pooling '" + name + "' is unknown; use first_eot or last_eot");
}

std::string text_pooling_name(TextPooling pooling) {
  return pooling == TextPooling::FirstEot ? "first_eot" : "last_eot";
}

torch::Tensor eot_positions(const torch::Tensor& token_ids, const torch::Tensor& attention_mask, int64_t eos_id,
                            TextPooling pooling) {
  if (token_ids.dim() != 2) throw Error("text pooling: token ids have shape " + shape_of(token_ids) + ", expected [B, T]");
  if (attention_mask.defined() && attention_mask.sizes() != token_ids.sizes()) {
    throw Error("text pooling: attention mask " + shape_of(attention_mask) + " does not match token ids " +
                shape_of(token_ids));
  }
  const torch::Tensor ids = token_ids.to(torch::kCPU, torch::kLong).contiguous();
  const torch::Tensor mask =
      attention_mask.defined() ? attention_mask.to(torch::kCPU, torch::kLong).contiguous() : torch::Tensor();
  const int64_t B = ids.size(0), T = ids.size(1);
  auto id = ids.accessor<int64_t, 2>();

  torch::Tensor positions = torch::empty({B}, torch::kLong);
  auto position = positions.accessor<int64_t, 1>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t found = -1;
    for (int64_t t = 0; t < T; ++t) {
      if (id[b][t] != eos_id) continue;
      found = t;
      if (pooling == TextPooling::FirstEot) break;
    }
    if (found < 0) {
      found = T - 1;
      if (mask.defined()) {
        auto m = mask.accessor<int64_t, 2>();
        while (found > 0 && m[b][found] == 0) --found;
      }
    }
    position[b] = found;
  }
  return positions;
}

torch::Tensor gather_text_vector(const torch::Tensor& text_embeds, const torch::Tensor& positions) {
  if (text_embeds.dim() != 3 || positions.dim() != 1 || positions.size(0) != text_embeds.size(0)) {
    throw Error("text pooling: embeddings " + shape_of(text_embeds) + " and positions " + shape_of(positions) +
                " must be [B, T, D] and [B]");
  }
  torch::Tensor rows = torch::arange(text_embeds.size(0), torch::TensorOptions().device(text_embeds.device()));
  return text_embeds.index({rows, positions.to(text_embeds.device())});  // [B, D]
}

}  // namespace evlf::distill
