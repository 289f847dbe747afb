// Contrastive training of a small CLIP-architecture text encoder against a
// small image encoder on captioned images, for bundles that cannot ship a
// pretrained CLIP. Only the text encoder is kept; it is frozen afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data/captions.h"
#include "core/models/clip_text_encoder.h"
#include "core/models/clip_tokenizer.h"
#include "core/runtime/progress.h"

namespace evlf::distill {

/// \brief Settings of train_text_encoder.
struct TextEncoderTrainOptions {
  int64_t steps = 1500;           // optimizer steps in total
  int64_t batch_size = 128;       // captioned images per step
  double learning_rate = 5e-4;    // AdamW learning rate, both towers
  double weight_decay = 0.01;     // AdamW decoupled weight decay
  int64_t embed_dim = 64;         // width of the shared image-text space
  int64_t image_size = 32;        // square side the images are padded to
  uint64_t seed = 0;              // batches and caption choices derive from it
  std::filesystem::path checkpoint_path;
  int64_t checkpoint_every = 500;
  bool resume = true;
  int64_t log_every = 10;

  std::string to_string() const;
};

/// \brief Images with labels and the measured attribute words of each.
struct CaptionedImages {
  torch::Tensor images;                       // [N, 1, H, W] uint8
  torch::Tensor labels;                       // [N] int64
  std::vector<std::string> class_names;
  std::vector<data::AttributeWords> attributes;  // one per image
};

struct TextEncoderTrainResult {
  int64_t step = 0;
  int64_t resumed_from = 0;
  double final_loss = 0.0;
  double retrieval_accuracy = 0.0;  // share of images whose nearest class prompt is their own class
};

/// Trains `text_encoder` in place with an image tower built here. Positives
/// are same-class pairs (multi-positive symmetric InfoNCE, learned logit
/// scale). Reports loss and in-batch accuracy (stage "train text encoder").
TextEncoderTrainResult train_text_encoder(models::ClipTextEncoder& text_encoder, const models::ClipTokenizer& tokenizer,
                                          const CaptionedImages& data, const std::string& prompt_template,
                                          const TextEncoderTrainOptions& options, const JobControl& job = {});

}  // namespace evlf::distill
