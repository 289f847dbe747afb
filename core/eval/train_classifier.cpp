#include "core/eval/train_classifier.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "core/distill/training_checkpoint.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::eval {

namespace {

constexpr const char* kStage = "train classifier";
constexpr const char* kBatchStage = "train classifier batches";

void check_set(const LabelledSet& set, const TrainOptions& options, const std::string& name) {
  if (!set.images.defined() || set.images.dim() != 4) {
    throw Error(name + " images must be [N, C, H, W], got " +
                (set.images.defined() ? c10::str(set.images.sizes()) : std::string("an undefined tensor")));
  }
  if (set.images.size(1) != options.model.in_channels) {
    throw Error(name + " images have " + std::to_string(set.images.size(1)) + " channels but the classifier expects " +
                std::to_string(options.model.in_channels) + "; set TrainOptions::model.in_channels");
  }
  if (!set.labels.defined() || set.labels.dim() != 1 || set.labels.size(0) != set.images.size(0)) {
    throw Error(name + " labels must be [N] with N = " + std::to_string(set.images.size(0)) + ", got " +
                (set.labels.defined() ? c10::str(set.labels.sizes()) : std::string("an undefined tensor")));
  }
  if (set.images.size(0) == 0) throw Error(name + " set is empty");
  const int64_t low = set.labels.min().item<int64_t>();
  const int64_t high = set.labels.max().item<int64_t>();
  if (low < 0 || high >= options.model.num_classes) {
    throw Error(name + " labels span " + std::to_string(low) + ".." + std::to_string(high) + " but the classifier has " +
                std::to_string(options.model.num_classes) + " classes");
  }
}

/// Per-channel statistics [1, C, 1, 1] from the options; one value covers all channels.
torch::Tensor channel_stat(const std::vector<double>& values, int64_t channels, const char* name) {
  if (values.size() != 1 && static_cast<int64_t>(values.size()) != channels) {
    throw Error("normalisation " + std::string(name) + " has " + std::to_string(values.size()) +
                " values for " + std::to_string(channels) + " channels; give one value or one per channel");
  }
  std::vector<float> expanded(channels);
  for (int64_t c = 0; c < channels; ++c) expanded[c] = static_cast<float>(values.size() == 1 ? values[0] : values[c]);
  return torch::tensor(expanded).view({1, channels, 1, 1});
}

void set_learning_rate(torch::optim::SGD& optimizer, double rate) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(rate);
}

}  // namespace

torch::Tensor normalise_images(const torch::Tensor& images, const TrainOptions& options) {
  const int64_t channels = images.size(1);
  torch::Tensor x = images.scalar_type() == torch::kUInt8 ? images.to(torch::kFloat) / 255.0 : images.to(torch::kFloat);
  return (x - channel_stat(options.mean, channels, "mean")) / channel_stat(options.std, channels, "std");
}

TrainOptions TrainOptions::FashionMnist() { return TrainOptions{}; }

std::string TrainOptions::to_string() const {
  std::ostringstream out;
  out << model.to_string() << "; " << epochs << " epochs, SGD lr " << learning_rate << " (x0.1 after epoch "
      << epochs / 2 << "), momentum " << momentum << ", weight decay " << weight_decay << ", batch " << batch_size
      << "; normalise mean";
  for (double m : mean) out << " " << m;
  out << " std";
  for (double s : std) out << " " << s;
  out << "; " << (dsa ? dsa_options.to_string() : std::string("no augmentation")) << "; seed " << seed;
  return out.str();
}

TrainResult train_classifier(const LabelledSet& train, const LabelledSet& test, const TrainOptions& options,
                             const JobControl& control) {
  check_set(train, options, "training");
  check_set(test, options, "test");
  if (options.epochs < 1 || options.batch_size < 1 || options.test_batch_size < 1) {
    throw Error("epochs, batch size and test batch size must be positive (got " + std::to_string(options.epochs) +
                ", " + std::to_string(options.batch_size) + ", " + std::to_string(options.test_batch_size) + ")");
  }

  // Network initialisation uses the global generator; shuffling and DSA a private one.
  torch::manual_seed(options.seed);
  at::Generator generator = at::detail::createCPUGenerator(options.seed);
  std::shared_ptr<ClassifierImpl> model = make_classifier(options.model);
  model->train();

  const torch::Tensor x_train = normalise_images(train.images, options);  // [N, C, H, W]
  const torch::Tensor y_train = train.labels.to(torch::kLong);       // [N]
  const int64_t n = x_train.size(0);

  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(options.learning_rate)
                                                       .momentum(options.momentum)
                                                       .weight_decay(options.weight_decay));
  const int64_t decay_epoch = options.epochs / 2;

  // Resume: weights, momentum, the generator and the epoch count.
  const std::vector<distill::CheckpointModule> modules = {{"model.", model.get()}};
  const std::string settings = options.to_string() + "; " + std::to_string(n) + " training images";
  int64_t first_epoch = 0;
  if (!options.checkpoint_path.empty() && std::filesystem::exists(options.checkpoint_path)) {
    std::map<std::string, torch::Tensor> extras = {{"generator", torch::Tensor()}};
    first_epoch = distill::load_training_checkpoint(options.checkpoint_path, modules, optimizer, settings, &extras);
    generator.set_state(extras.at("generator"));
    logger()->info("resumed classifier training from '{}' after epoch {}", options.checkpoint_path.string(),
                   first_epoch);
  }
  const int64_t batches = (n + options.batch_size - 1) / options.batch_size;

  TrainResult result;
  for (int64_t epoch = first_epoch; epoch < options.epochs; ++epoch) {
    if (epoch >= decay_epoch) set_learning_rate(optimizer, options.learning_rate * 0.1);

    const torch::Tensor order = torch::randperm(n, generator, torch::kLong);
    double loss_sum = 0.0;
    int64_t correct = 0;
    for (int64_t start = 0; start < n; start += options.batch_size) {
      control.throw_if_cancelled();
      const torch::Tensor index = order.slice(0, start, std::min(start + options.batch_size, n));
      torch::Tensor x = x_train.index_select(0, index);  // [B, C, H, W]
      const torch::Tensor y = y_train.index_select(0, index);
      if (options.dsa) x = dsa_augment(x, options.dsa_options, generator);

      const torch::Tensor logits = model->forward(x);  // [B, classes]
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();

      loss_sum += loss.item<double>() * static_cast<double>(index.size(0));
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      if (options.report_batches) {
        control.report({kBatchStage, epoch * batches + start / options.batch_size + 1, options.epochs * batches,
                        {{"batch loss", loss.item<double>()}}, ""});
      }
    }
    result.final_loss = loss_sum / static_cast<double>(n);
    result.train_accuracy = static_cast<double>(correct) / static_cast<double>(n);
    if (!std::isfinite(result.final_loss)) {
      throw Error("classifier training diverged at epoch " + std::to_string(epoch + 1) +
                  " (loss is not finite); lower the learning rate or check the images for NaN");
    }
    if (!options.checkpoint_path.empty()) {
      distill::save_training_checkpoint(options.checkpoint_path, modules, optimizer, epoch + 1, settings,
                                        {{"generator", generator.get_state()}});
    }
    control.report({kStage, epoch + 1, options.epochs,
                    {{"loss", result.final_loss}, {"train accuracy", result.train_accuracy}}, ""});
  }

  model->eval();
  result.test_accuracy = test_accuracy(*model, test, options);
  result.model = model;
  logger()->info("trained {} on {} images: test accuracy {:.4f}", options.model.to_string(), n, result.test_accuracy);
  return result;
}

double test_accuracy(ClassifierImpl& model, const LabelledSet& test, const TrainOptions& options) {
  check_set(test, options, "test");
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  int64_t correct = 0;
  const int64_t n = test.images.size(0);
  for (int64_t start = 0; start < n; start += options.test_batch_size) {
    const int64_t end = std::min(start + options.test_batch_size, n);
    const torch::Tensor x = normalise_images(test.images.slice(0, start, end), options);  // [B, C, H, W]
    const torch::Tensor y = test.labels.slice(0, start, end).to(torch::kLong);
    correct += model.forward(x).argmax(1).eq(y).sum().item<int64_t>();
  }
  model.train(was_training);
  return static_cast<double>(correct) / static_cast<double>(n);
}

torch::Tensor extract_features(ClassifierImpl& model, const torch::Tensor& images, const TrainOptions& options) {
  if (!images.defined() || images.dim() != 4) {
    throw Error("feature extraction expects images [N, C, H, W], got " +
                (images.defined() ? c10::str(images.sizes()) : std::string("an undefined tensor")));
  }
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<torch::Tensor> chunks;
  for (int64_t start = 0; start < images.size(0); start += options.test_batch_size) {
    const torch::Tensor x = normalise_images(images.slice(0, start, start + options.test_batch_size), options);
    chunks.push_back(model.features(x));  // [B, F]
  }
  model.train(was_training);
  if (chunks.empty()) return torch::empty({0, model.feature_dim()});
  return torch::cat(chunks);  // [N, F]
}

std::pair<double, double> mean_and_std(const std::vector<double>& values) {
  if (values.empty()) return {0.0, 0.0};
  double mean = 0.0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double variance = 0.0;
  for (double v : values) variance += (v - mean) * (v - mean);
  variance /= static_cast<double>(values.size());
  return {mean, std::sqrt(variance)};
}

EvaluationResult evaluate_set(const LabelledSet& train, const LabelledSet& test, const TrainOptions& options,
                              int repeats, const JobControl& control) {
  if (repeats < 1) throw Error("evaluation needs at least one repeat, got " + std::to_string(repeats));
  EvaluationResult result;
  for (int r = 0; r < repeats; ++r) {
    TrainOptions repeat_options = options;
    repeat_options.seed = options.seed + static_cast<uint64_t>(r);
    JobControl repeat_control;
    repeat_control.cancel = control.cancel;
    const std::string message = "repeat " + std::to_string(r + 1) + " of " + std::to_string(repeats);
    repeat_control.on_progress = [&control, &message](const ProgressEvent& event) {
      ProgressEvent tagged = event;
      tagged.message = message;
      control.report(tagged);
    };
    result.accuracies.push_back(train_classifier(train, test, repeat_options, repeat_control).test_accuracy);
  }
  std::tie(result.mean, result.std) = mean_and_std(result.accuracies);
  return result;
}

namespace {

AccuracyDifference paired_difference(const std::vector<double>& first, const std::vector<double>& second,
                                     const char* name) {
  if (first.empty() || first.size() != second.size()) {
    throw Error(std::string(name) + " needs the same non-zero number of rounds on both sides, got " +
                std::to_string(first.size()) + " and " + std::to_string(second.size()));
  }
  AccuracyDifference result;
  for (std::size_t i = 0; i < first.size(); ++i) result.per_repeat.push_back(first[i] - second[i]);
  std::tie(result.mean, result.std) = mean_and_std(result.per_repeat);
  return result;
}

}  // namespace

AccuracyDifference improvement_over_random(const std::vector<double>& synthetic_accuracies,
                                           const std::vector<double>& random_accuracies) {
  return paired_difference(synthetic_accuracies, random_accuracies, "improvement over random");
}

AccuracyDifference hard_label_recovery(const std::vector<double>& full_accuracies,
                                       const std::vector<double>& synthetic_accuracies) {
  return paired_difference(full_accuracies, synthetic_accuracies, "hard label recovery");
}

}  // namespace evlf::eval
