// Downstream evaluation of a training set: train a classifier from scratch
// with hard labels, as the DC/DSA evaluation code does, and test it on the
// real test split. Also the improvement over random real (IOR).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "core/eval/convnet.h"
#include "core/eval/dsa_augment.h"
#include "core/runtime/progress.h"

namespace evlf::eval {

/// \brief A labelled image set: [N, C, H, W] uint8 (0..255) or float in [0, 1],
/// with [N] integer labels.
struct LabelledSet {
  torch::Tensor images;
  torch::Tensor labels;
};

/// \brief Training recipe; defaults are the DC/DSA evaluation code's
/// (`evaluate_synset`) with the 300 epochs of the DC paper.
///
/// NOTE: the DC code runs Epoch + 1 passes and lowers the rate after pass
/// Epoch / 2 + 1; this recipe runs exactly `epochs` passes and lowers it
/// after pass epochs / 2. It also tests the final network, as the DC code
/// does, not the best epoch as DD-Ranking does.
struct TrainOptions {
  ClassifierOptions model = ClassifierOptions::ConvNet3(1, 28, 10);
  int64_t epochs = 300;             // passes over the training set
  double learning_rate = 0.01;      // SGD rate; divided by 10 once half the epochs are done
  double momentum = 0.9;            // SGD momentum
  double weight_decay = 5e-4;       // SGD L2 penalty
  int64_t batch_size = 256;         // training batch
  int64_t test_batch_size = 1024;   // inference batch on the test split (memory only)
  std::vector<double> mean{0.2860}; // per-channel normalisation mean, images in [0, 1]; one value = all channels
  std::vector<double> std{0.3530};  // per-channel normalisation std
  bool dsa = false;                 // train with DSA augmentation
  DsaOptions dsa_options;           // DSA strengths, used when dsa is true
  uint64_t seed = 0;                // network initialisation, shuffling and augmentation
  std::filesystem::path checkpoint_path;  // when set: written after every epoch, resumed from when present
  bool report_batches = false;      // also report progress after every batch (for large sets)

  /// The DC/DSA hard-label recipe for Fashion-MNIST (28x28 grey, 10 classes).
  static TrainOptions FashionMnist();
  std::string to_string() const;
};

/// \brief A trained network and its scores.
struct TrainResult {
  double test_accuracy = 0.0;   // fraction of the test split classified correctly, in [0, 1]
  double final_loss = 0.0;      // mean cross-entropy of the last epoch
  double train_accuracy = 0.0;  // accuracy on the (augmented) training batches of the last epoch
  std::shared_ptr<ClassifierImpl> model;  // in eval mode
};

/// Trains `options.model` from scratch on `train` and tests it on `test`.
/// Reports one ProgressEvent per epoch (stage "train classifier", metrics
/// "loss" and "train accuracy"; with `report_batches`, also one per batch
/// under "train classifier batches") and checks `control` every batch,
/// throwing CancelledError when cancelled. With a checkpoint path, a run
/// that finds a checkpoint of the same settings continues after its last
/// epoch exactly as the uninterrupted run would. Seeds LibTorch's global generator with
/// `options.seed` to initialise the network. Throws evlf::Error on shape,
/// label or option errors.
/// Ported from the DC code (`utils.py`, `evaluate_synset` and `epoch`).
TrainResult train_classifier(const LabelledSet& train, const LabelledSet& test, const TrainOptions& options,
                             const JobControl& control = {});

/// Normalises images in [0, 1] (uint8 is divided by 255) with the options'
/// per-channel mean and std: returns [N, C, H, W] float.
torch::Tensor normalise_images(const torch::Tensor& images, const TrainOptions& options);

/// Accuracy of `model` on `test`, normalised with `options.mean`/`options.std`.
double test_accuracy(ClassifierImpl& model, const LabelledSet& test, const TrainOptions& options);

/// Embeddings of `images` from `model.features()` after normalisation: [N, F].
torch::Tensor extract_features(ClassifierImpl& model, const torch::Tensor& images, const TrainOptions& options);

/// \brief Accuracies of R independently trained networks.
struct EvaluationResult {
  std::vector<double> accuracies;  // one per repeat, in [0, 1]
  double mean = 0.0;
  double std = 0.0;                // population std (numpy's np.std), as the DC code and DD-Ranking report
};

/// Trains and tests `repeats` networks, repeat r with seed `options.seed + r`.
/// Progress events carry the repeat in their message.
EvaluationResult evaluate_set(const LabelledSet& train, const LabelledSet& test, const TrainOptions& options,
                              int repeats = 3, const JobControl& control = {});

/// \brief A per-round accuracy difference and its summary (IOR, HLR).
struct AccuracyDifference {
  std::vector<double> per_repeat;  // first minus second accuracy of each round, in the units of the input
  double mean = 0.0;
  double std = 0.0;                // population std
};

/// IOR as DD-Ranking defines it (Li et al., "DD-Ranking: Rethinking the
/// Evaluation of Dataset Distillation", arXiv 2505.13300, and
/// `ddranking/metrics/hard_label.py`): for each evaluation round i,
/// IOR_i = Acc_syn,i - Acc_rdm,i, where Acc_rdm is the accuracy of a random
/// real subset of the same IPC under the same protocol; the result is the
/// mean and np.std over rounds. Rounds pair by index; throws evlf::Error
/// when the counts differ or are zero.
AccuracyDifference improvement_over_random(const std::vector<double>& synthetic_accuracies,
                                              const std::vector<double>& random_accuracies);

/// Hard label recovery of DD-Ranking, per round HLR_i = Acc_full,i - Acc_syn,i,
/// where Acc_full is the accuracy of the whole real training set.
AccuracyDifference hard_label_recovery(const std::vector<double>& full_accuracies,
                                          const std::vector<double>& synthetic_accuracies);

/// Mean and population std of `values`; {0, 0} when empty.
std::pair<double, double> mean_and_std(const std::vector<double>& values);

}  // namespace evlf::eval
