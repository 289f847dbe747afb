// Training loop of the EVLF fusion module and its latent projector, with
// repeatable seeding, periodic checkpoints and exact resume.
//
// Symbols: N samples, C latent channels, h = w latent side, K classes,
// T text tokens, D text width.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/torch.h>

#include "core/distill/fusion_objective.h"
#include "core/models/fusion_module.h"
#include "core/runtime/progress.h"

namespace evlf::distill {

/// \brief Precomputed inputs of fusion training; all tensors on the CPU.
struct FusionTrainingData {
  torch::Tensor latents;         // [N, C, h, w], autoencoder latents times the scaling factor
  torch::Tensor labels;          // [N], int64 class index in [0, K)
  torch::Tensor text_embeds;     // [K, T, D], text encoder hidden states of each class prompt
  torch::Tensor token_ids;       // [K, T], the prompt's token ids, used to find the end-of-text token
  torch::Tensor attention_mask;  // [K, T], 1 on real tokens; may be undefined
};

/// \brief Settings of train_fusion; defaults are the published recipe.
struct FusionTrainingOptions {
  int64_t epochs = 4;             // passes over the latents
  int64_t batch_size = 16;        // samples per batch; the last batch of an epoch may be smaller
  int64_t grad_accumulation = 2;  // batches per optimizer step
  double fusion_lr = 3e-4;        // AdamW learning rate of the fusion module
  double projector_lr = 1e-4;     // AdamW learning rate of the projector (and a learned logit scale)
  double weight_decay = 1e-2;     // AdamW decoupled weight decay, both groups
  double max_grad_norm = 1.0;     // global gradient-norm clip over all parameters; 0 disables it
  int64_t ramp_steps = 0;         // batches over which λ2 ramps up; 0 means half of all batches
  uint64_t seed = 0;              // shuffling, dropout and augmentation draws derive from it
  int64_t eos_id = 49407;         // end-of-text token id (CLIP)
  TextPooling text_pooling = TextPooling::FirstEot;
  bool augment_condition = true;  // condition augmentation on the text embeddings
  ConditionAugmentOptions augmentation;
  FusionObjectiveOptions objective;
  std::filesystem::path checkpoint_path;  // empty: no checkpoints
  int64_t checkpoint_every = 100;         // optimizer steps between checkpoints
  bool resume = true;                     // continue from checkpoint_path when it exists

  /// The published recipe with the reference's last_eot pooling.
  static FusionTrainingOptions reference();
  /// One-line JSON for the run log.
  std::string to_string() const;
};

/// \brief Summary of a finished run.
struct FusionTrainingResult {
  int64_t batches = 0;          // batches run in total, including those before a resume
  int64_t optimizer_steps = 0;
  int64_t resumed_from_batch = 0;  // 0 when the run started fresh
  double final_loss = 0.0;      // total loss of the last batch
  double logit_scale = 0.0;     // exp of the log logit scale at the end
};

/// Trains `fusion` and `projector` in place on `data`. Reports every batch
/// through `job` (stage "train fusion", metrics loss_total, loss_infonce,
/// loss_l2, lambda2, lr_fusion). Throws CancelledError when the job is
/// cancelled. When checkpoint_path is set, a cancelled run first writes a
/// checkpoint, so a later call with `resume` continues it exactly.
FusionTrainingResult train_fusion(models::FusionModule& fusion, LatentProjector& projector,
                                  const FusionTrainingData& data, const FusionTrainingOptions& options,
                                  const JobControl& job);

}  // namespace evlf::distill
