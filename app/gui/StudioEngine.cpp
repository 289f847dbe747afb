#include "app/gui/StudioEngine.h"

#include <QCoreApplication>
#include <QStandardPaths>

#include <algorithm>
#include <array>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

#include "app/gui/EngineConversions.h"
#include "core/data/dataset.h"
#include "core/distill/bundle.h"
#include "core/distill/bundle_classifier.h"
#include "core/distill/pipeline.h"
#include "core/eval/metrics.h"
#include "core/eval/train_classifier.h"
#include "core/io/image_set_writer.h"
#include "core/io/metrics_log.h"
#include "core/runtime/device.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"
#include "core/runtime/parallel_pair.h"

namespace fs = std::filesystem;
using evlf::Error;
using evlf::JobControl;
using evlf::distill::ClassModes;
using evlf::distill::GeneratedSample;
using evlf::distill::PipelineKind;
using evlf::distill::SampleRequest;
using evlf::distill::SamplingSettings;
using json = nlohmann::json;

namespace {

// Real images per class that the engine encodes: enough for k-means modes,
// nearest-neighbour search and a quick classifier, and few enough that
// re-clustering after a fusion-weight change costs little next to sampling.
// NOTE: modes come from this balanced subset, not from the whole training set as `evlf` commands may use.
constexpr int64_t kRealImagesPerClass = 400;
// Real latents per class in the PCA scatter.
constexpr int64_t kPcaRealPerClass = 200;
// Over-correction classifier when the bundle ships none: a ConvNet-3 trained briefly on the real subset.
constexpr int64_t kClassifierEpochs = 3;
constexpr int64_t kClassifierBatch = 128;
constexpr int64_t kClassifierTestImages = 1000;
// Cached untraced samples; the cache is emptied when it grows past this count.
constexpr std::size_t kSampleCacheLimit = 4096;
// Repeats of the downstream evaluation behind Run > Evaluate sets.
constexpr int kEvaluationRepeats = 1;

PipelineKind toKind(int index) { return index == 0 ? PipelineKind::Late : PipelineKind::Early; }

std::string classKey(const std::vector<int64_t>& classes) {
  std::string key;
  for (int64_t c : classes) key += std::to_string(c) + ",";
  return key;
}

std::vector<int64_t> toClasses(const QVector<int>& classes) { return {classes.begin(), classes.end()}; }

/// Late samples at index 0, early samples at index 1.
using SamplePair = std::array<std::vector<GeneratedSample>, 2>;
/// Requests per pipeline, late then early.
using SamplePlan = std::array<std::vector<SampleRequest>, 2>;

std::string slotKey(const SampleRequest& request) {
  return std::to_string(request.class_index) + "|" + std::to_string(request.slot);
}

/// A range of one pipeline's missing samples.
struct WorkShare {
  std::size_t pipeline = 0;  // 0 late, 1 early
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// Splits the missing samples into two shares, in order: the late and the early samples when both
/// pipelines have some, else the two halves of the one that has. The compare view requests the same rows
/// from both pipelines, so the first case gives shares of equal size unless one pipeline's samples are cached.
std::array<WorkShare, 2> splitWork(const SamplePlan& missing) {
  if (!missing[0].empty() && !missing[1].empty()) return {{{0, 0, missing[0].size()}, {1, 0, missing[1].size()}}};
  const std::size_t pipeline = missing[0].empty() ? 1 : 0;
  const std::size_t count = missing[pipeline].size();
  return {{{pipeline, 0, count / 2}, {pipeline, count / 2, count}}};
}

/// \brief Progress of two shares that run at once, reported as that of the share behind, so the banner
/// reaches the end of a stage only when both shares have.
class SlowerShareProgress {
 public:
  explicit SlowerShareProgress(const JobControl& job) : m_job(job) {}

  /// Returns the control through which share `index` (0 or 1) reports.
  JobControl control(std::size_t index) {
    JobControl share;
    share.cancel = m_job.cancel;
    share.on_progress = [this, index](const evlf::ProgressEvent& event) { update(index, event); };
    return share;
  }

 private:
  void update(std::size_t index, const evlf::ProgressEvent& event) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_steps[index] = event.step;
    if (event.step <= m_steps[1 - index]) m_job.report(event);
  }

  const JobControl& m_job;
  std::mutex m_mutex;
  std::array<int64_t, 2> m_steps{0, 0};
};

/// Returns the distinct classes of `requests` in ascending order.
std::vector<int64_t> classesOf(const std::vector<SampleRequest>& requests) {
  std::set<int64_t> unique;
  for (const SampleRequest& r : requests) unique.insert(r.class_index);
  return {unique.begin(), unique.end()};
}

/// Pixels as float rows in [0, 1]: [N, C*H*W].
torch::Tensor flatPixels(const torch::Tensor& images) { return images.flatten(1).to(torch::kFloat) / 255.0; }

torch::Tensor stackImages(const std::vector<GeneratedSample>& samples) {
  std::vector<torch::Tensor> images;
  for (const GeneratedSample& sample : samples) images.push_back(sample.image);
  return torch::stack(images);  // [S, C', H, W]
}

torch::Tensor stackLatents(const std::vector<GeneratedSample>& samples) {
  std::vector<torch::Tensor> latents;
  for (const GeneratedSample& sample : samples) latents.push_back(sample.latent);
  return torch::stack(latents);  // [S, C, h, w]
}

/// Reshapes per-layer attention [heads, h*w, T] into the view's grid, keeping the first `tokens` columns.
AttentionGrid toGrid(const std::vector<torch::Tensor>& layers, int64_t tokens) {
  AttentionGrid grid;
  if (layers.empty()) return grid;
  torch::Tensor all = torch::stack(layers).to(torch::kFloat).cpu();  // [L, H, N, T]
  tokens = std::min(tokens, all.size(3));
  all = all.slice(3, 0, tokens).permute({0, 1, 3, 2}).contiguous();  // [L, H, T, N]
  const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(all.size(3)))));
  if (side * side != all.size(3)) {
    throw Error("attention over " + std::to_string(all.size(3)) + " positions is not a square grid");
  }
  grid.layers = static_cast<int>(all.size(0));
  grid.heads = static_cast<int>(all.size(1));
  grid.tokens = static_cast<int>(tokens);
  grid.height = static_cast<int>(side);
  grid.width = static_cast<int>(side);
  grid.values.assign(all.data_ptr<float>(), all.data_ptr<float>() + all.numel());
  return grid;
}

}  // namespace

evlf::distill::SamplingSettings toSamplingSettings(const SamplingParameters& parameters) {
  SamplingSettings settings;
  settings.fusion_weight = parameters.fusion_weight;
  settings.cfg_scale = parameters.cfg_scale;
  settings.mode_guidance = parameters.mode_guidance;
  settings.stop_t = parameters.stop_t;
  settings.steps = parameters.steps;
  settings.sampler = parameters.sampler == Sampler::Ddim ? "ddim" : "ddpm";
  settings.seed = static_cast<uint64_t>(parameters.seed);
  return settings;
}

QImage tensorToImage(const torch::Tensor& image) {
  torch::Tensor pixels = image.dim() == 2 ? image.unsqueeze(0) : image;  // [C, H, W]
  if (pixels.dim() != 3 || pixels.scalar_type() != torch::kUInt8 || (pixels.size(0) != 1 && pixels.size(0) != 3)) {
    throw Error("expected a uint8 image [1 or 3, H, W], got " + std::to_string(image.dim()) + " dimensions of " +
                std::string(c10::toString(image.scalar_type())));
  }
  const int height = static_cast<int>(pixels.size(1));
  const int width = static_cast<int>(pixels.size(2));
  const bool grey = pixels.size(0) == 1;
  const torch::Tensor rows = pixels.permute({1, 2, 0}).contiguous().cpu();  // [H, W, C]
  QImage result(width, height, grey ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
  const int rowBytes = width * static_cast<int>(pixels.size(0));
  for (int y = 0; y < height; ++y) {
    std::memcpy(result.scanLine(y), rows.data_ptr<uint8_t>() + static_cast<std::ptrdiff_t>(y) * rowBytes, rowBytes);
  }
  return result;
}

/// \brief The worker-side state: models, real data and cached results.
struct StudioEngine::State {
  std::unique_ptr<evlf::distill::LoadedBundle> bundle;
  evlf::distill::ClassPrompts prompts;

  // Real images: a balanced subset of the dataset, its latents and fused latents.
  std::string datasetSpec;
  evlf::data::LabeledImages real;
  evlf::distill::LatentSet latents;
  torch::Tensor fusedFull;   // [N, C, h, w] fusion output at weight 1
  torch::Tensor realPixels;  // [N, C'*H*W] in [0, 1]

  std::map<std::string, ClassModes> modes;  // by pipeline, k, seed, weight and class

  // Untraced samples by pipeline, the settings that pipeline depends on, k, class and slot. The late
  // pipeline ignores the fusion weight, so moving that slider regenerates only the early samples.
  std::map<std::string, GeneratedSample> samples;

  std::string traceKey;
  std::vector<GeneratedSample> traced;  // late, early

  std::string setKey;
  std::vector<GeneratedSample> set;  // per class, slot: late then early
  json setSettings;

  // The set shown in the Curate tab; the analysis may replace `set` while decisions are made on this one.
  std::vector<GeneratedSample> curated;
  json curatedSettings;

  std::shared_ptr<evlf::eval::ClassifierImpl> classifier;
  evlf::eval::TrainOptions classifierOptions;
  std::string classifierDataset;

  const evlf::distill::LoadedBundle& loaded() const {
    if (!bundle) throw Error("no model bundle is open; open a bundle folder first (File > Open bundle)");
    return *bundle;
  }

  std::string className(int64_t index) const { return loaded().manifest.dataset.class_names.at(index); }
  int64_t imageHeight() const { return real.images.size(2); }
  int64_t imageWidth() const { return real.images.size(3); }

  void ensureRealSet(const std::string& spec, const JobControl& job);
  torch::Tensor latentsAt(double fusionWeight) const;
  std::vector<ClassModes> modesFor(PipelineKind kind, const std::vector<int64_t>& classes, int64_t k,
                                   const SamplingSettings& settings, const JobControl& job);
  static std::string samplePrefix(PipelineKind kind, int64_t k, const SamplingSettings& settings);
  // Returns the late and early samples of `requests`. The missing ones are generated in two shares that
  // run at once.
  SamplePair generate(const std::vector<SampleRequest>& requests, int64_t k, const SamplingSettings& settings,
                      const JobControl& job);
  SamplePair generateMissing(const SamplePlan& missing, const std::array<std::vector<ClassModes>, 2>& classModes,
                             const SamplingSettings& settings, const JobControl& job);
  void ensureTrace(const StudioRequest& request, const JobControl& job);
  void ensureSet(const StudioRequest& request, const JobControl& job);
  void ensureClassifier(const JobControl& job);
  void checkClasses(const QVector<int>& classes) const;
};

void StudioEngine::State::ensureRealSet(const std::string& spec, const JobControl& job) {
  const evlf::distill::LoadedBundle& loadedBundle = loaded();
  if (spec == datasetSpec && latents.latents.defined()) return;

  const auto& dataset = loadedBundle.manifest.dataset;
  const evlf::data::LabeledImages full =
      evlf::data::load_dataset(evlf::data::parse_dataset_spec(spec), dataset.channels, 0);
  if (static_cast<int64_t>(full.class_names.size()) != loadedBundle.num_classes()) {
    throw Error("dataset '" + spec + "' has " + std::to_string(full.class_names.size()) + " classes but the bundle has " +
                std::to_string(loadedBundle.num_classes()) + "; choose the dataset the bundle was trained on");
  }
  real = evlf::data::balanced_subset(full, kRealImagesPerClass * loadedBundle.num_classes());
  evlf::logger()->info("preparing the latents of {} real images of '{}'", real.images.size(0), spec);

  const QString cache = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
  std::optional<fs::path> cacheFolder;
  if (!cache.isEmpty()) cacheFolder = fs::path(cache.toStdString()) / "latents";
  latents = evlf::distill::encode_images(loadedBundle, real, cacheFolder, job);
  fusedFull = evlf::distill::fuse_latents(loadedBundle, prompts, latents, /*fusion_weight=*/1.0, job);
  realPixels = flatPixels(real.images);
  datasetSpec = spec;
  modes.clear();
  samples.clear();
  classifier.reset();
}

torch::Tensor StudioEngine::State::latentsAt(double fusionWeight) const {
  return latents.latents + fusionWeight * (fusedFull - latents.latents);  // [N, C, h, w], z_alpha
}

std::vector<ClassModes> StudioEngine::State::modesFor(PipelineKind kind, const std::vector<int64_t>& classes, int64_t k,
                                                      const SamplingSettings& settings, const JobControl& job) {
  auto keyOf = [&](int64_t c) {
    std::string key = evlf::distill::pipeline_name(kind) + "|" + std::to_string(k) + "|" + std::to_string(settings.seed);
    if (kind == PipelineKind::Early) key += "|" + std::to_string(settings.fusion_weight);
    return key + "|" + std::to_string(c);
  };

  std::vector<int64_t> missing;
  for (int64_t c : classes) {
    if (modes.count(keyOf(c)) == 0) missing.push_back(c);
  }
  if (!missing.empty()) {
    const torch::Tensor source = kind == PipelineKind::Late ? latents.latents : latentsAt(settings.fusion_weight);
    for (ClassModes& found : evlf::distill::discover_modes(source, latents.labels, missing, k, settings.seed,
                                                            /*closest_real=*/false, job)) {
      modes[keyOf(found.class_index)] = std::move(found);
    }
  }

  std::vector<ClassModes> result;
  for (int64_t c : classes) result.push_back(modes.at(keyOf(c)));
  return result;
}

std::string StudioEngine::State::samplePrefix(PipelineKind kind, int64_t k, const SamplingSettings& settings) {
  json relevant = settings.to_json();
  if (kind == PipelineKind::Late) relevant.erase("fusion_weight");
  return evlf::distill::pipeline_name(kind) + "|" + relevant.dump() + "|" + std::to_string(k) + "|";
}

SamplePair StudioEngine::State::generateMissing(const SamplePlan& missing,
                                                const std::array<std::vector<ClassModes>, 2>& classModes,
                                                const SamplingSettings& settings, const JobControl& job) {
  const std::array<WorkShare, 2> shares = splitWork(missing);
  std::array<std::vector<GeneratedSample>, 2> parts;
  auto run = [&](std::size_t s, const JobControl& control) {
    const WorkShare& share = shares[s];
    const std::vector<SampleRequest> part(missing[share.pipeline].begin() + share.begin,
                                          missing[share.pipeline].begin() + share.end);
    if (part.empty()) return;
    parts[s] = evlf::distill::generate_samples(loaded(), prompts, toKind(static_cast<int>(share.pipeline)),
                                               classModes[share.pipeline], part, settings, control, imageHeight(),
                                               imageWidth());
  };

  // The shares run at once when both have work and the device allows it, and in turn otherwise.
  const bool bothHaveWork = shares[0].begin != shares[0].end && shares[1].begin != shares[1].end;
  if (bothHaveWork && evlf::runs_in_parallel(loaded().device)) {
    SlowerShareProgress progress(job);
    evlf::run_in_parallel([&] { run(0, progress.control(0)); }, [&] { run(1, progress.control(1)); },
                          loaded().device);
  } else {
    run(0, job);
    run(1, job);
  }

  SamplePair generated;
  for (std::size_t s = 0; s < 2; ++s) {
    std::move(parts[s].begin(), parts[s].end(), std::back_inserter(generated[shares[s].pipeline]));
  }
  return generated;
}

SamplePair StudioEngine::State::generate(const std::vector<SampleRequest>& requests, int64_t k,
                                         const SamplingSettings& settings, const JobControl& job) {
  // Cached samples are used first, and only the missing ones are generated. An oversized cache is emptied
  // before the lookup, so every sample of this request is either found or generated below.
  if (samples.size() > kSampleCacheLimit) samples.clear();
  std::array<std::string, 2> prefixes;
  SamplePlan missing;
  std::array<std::vector<ClassModes>, 2> classModes;
  for (std::size_t p = 0; p < 2; ++p) {
    prefixes[p] = samplePrefix(toKind(static_cast<int>(p)), k, settings);
    for (const SampleRequest& r : requests) {
      if (settings.trace || samples.count(prefixes[p] + slotKey(r)) == 0) missing[p].push_back(r);
    }
    if (!missing[p].empty()) classModes[p] = modesFor(toKind(static_cast<int>(p)), classesOf(missing[p]), k, settings, job);
  }

  SamplePair generated = generateMissing(missing, classModes, settings, job);
  if (settings.trace) return generated;

  SamplePair result;
  for (std::size_t p = 0; p < 2; ++p) {
    for (std::size_t i = 0; i < missing[p].size(); ++i) {
      samples[prefixes[p] + slotKey(missing[p][i])] = std::move(generated[p][i]);
    }
    for (const SampleRequest& r : requests) result[p].push_back(samples.at(prefixes[p] + slotKey(r)));
  }
  return result;
}

void StudioEngine::State::checkClasses(const QVector<int>& classes) const {
  if (classes.isEmpty()) throw Error("no class is selected; tick at least one class in the bundle panel");
  for (int c : classes) {
    if (c < 0 || c >= loaded().num_classes()) {
      throw Error("invalid class index " + std::to_string(c) + "; the bundle has " +
                  std::to_string(loaded().num_classes()) + " classes");
    }
  }
}

void StudioEngine::State::ensureTrace(const StudioRequest& request, const JobControl& job) {
  ensureRealSet(request.dataset.toStdString(), job);
  SamplingSettings settings = toSamplingSettings(request.parameters);
  settings.trace = true;
  const int64_t k = std::max<int64_t>(request.parameters.ipc, request.focusSlot + 1);
  const std::string key = settings.to_json().dump() + "|" + datasetSpec + "|" + std::to_string(request.focusClass) + "|" +
                          std::to_string(request.focusSlot) + "|" + std::to_string(k);
  if (key == traceKey && traced.size() == 2) return;

  checkClasses({request.focusClass});
  const std::vector<SampleRequest> requests = {{request.focusClass, request.focusSlot}};
  traced.clear();
  traceKey.clear();
  const SamplePair pair = generate(requests, k, settings, job);
  traced = {pair[0].at(0), pair[1].at(0)};
  traceKey = key;
}

void StudioEngine::State::ensureSet(const StudioRequest& request, const JobControl& job) {
  ensureRealSet(request.dataset.toStdString(), job);
  checkClasses(request.classes);
  const SamplingSettings settings = toSamplingSettings(request.parameters);
  const std::vector<int64_t> classes = toClasses(request.classes);
  const int64_t ipc = request.parameters.ipc;
  const std::string key = settings.to_json().dump() + "|" + datasetSpec + "|" + classKey(classes) + std::to_string(ipc);
  if (key == setKey) return;

  std::vector<SampleRequest> requests;
  for (int64_t c : classes) {
    for (int64_t slot = 0; slot < ipc; ++slot) requests.push_back({c, slot});
  }
  const auto [late, early] = generate(requests, ipc, settings, job);
  set.clear();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    set.push_back(late[i]);
    set.push_back(early[i]);
  }
  setSettings = settings.to_json();
  setSettings["ipc"] = ipc;
  setSettings["dataset"] = datasetSpec;
  setKey = key;
}

void StudioEngine::State::ensureClassifier(const JobControl& job) {
  if (classifier && classifierDataset == datasetSpec) return;
  const evlf::distill::LoadedBundle& loadedBundle = loaded();

  // A bundle that ships a reference classifier is judged by it instead of a network trained here.
  if (auto shipped = evlf::distill::load_bundle_classifier(loadedBundle.manifest, loadedBundle.device)) {
    evlf::logger()->info("over-correction classifier: the bundle's {}", shipped->options.model.to_string());
    classifier = shipped->network;
    classifierOptions = shipped->options;
    classifierDataset = datasetSpec;
    return;
  }

  evlf::data::DatasetSpec testSpec = evlf::data::parse_dataset_spec(datasetSpec);
  testSpec.split = evlf::data::Split::Test;
  const evlf::data::LabeledImages test = evlf::data::balanced_subset(
      evlf::data::load_dataset(testSpec, loadedBundle.manifest.dataset.channels, 0), kClassifierTestImages);

  evlf::eval::TrainOptions options;
  options.model = evlf::eval::ClassifierOptions::ConvNet3(real.images.size(1), real.images.size(2), loadedBundle.num_classes());
  options.epochs = kClassifierEpochs;
  options.batch_size = kClassifierBatch;
  if (real.images.size(1) != 1) {
    options.mean = {0.5};
    options.std = {0.5};
  }
  const evlf::eval::TrainResult result =
      evlf::eval::train_classifier({real.images, real.labels}, {test.images, test.labels}, options, job);
  evlf::logger()->info("over-correction classifier: test accuracy {:.3f} after {} epochs on {} real images",
                       result.test_accuracy, options.epochs, real.images.size(0));
  classifier = result.model;
  classifierOptions = options;
  classifierDataset = datasetSpec;
}

StudioEngine::StudioEngine() : m_state(std::make_unique<State>()) {
  const int threads = evlf::set_thread_count(0);
  evlf::logger()->debug("studio engine: {} intra-op threads", threads);
}

StudioEngine::~StudioEngine() = default;

bool StudioEngine::hasBundle() const { return m_state->bundle != nullptr; }

BundleInfo StudioEngine::loadBundle(const QString& folder, const JobControl& job) {
  job.report({"load bundle", 0, 0, {}, ""});
  auto bundle = std::make_unique<evlf::distill::LoadedBundle>(
      evlf::distill::load_bundle(fs::path(folder.toStdString()), evlf::choose_device("auto")));
  evlf::distill::ClassPrompts prompts = evlf::distill::encode_prompts(*bundle);

  *m_state = State();
  m_state->bundle = std::move(bundle);
  m_state->prompts = std::move(prompts);

  const auto& manifest = m_state->bundle->manifest;
  BundleInfo info;
  info.folder = QString::fromStdString(manifest.folder.string());
  info.name = QString::fromStdString(manifest.name);
  for (const std::string& name : manifest.dataset.class_names) info.classNames << QString::fromStdString(name);
  info.summary = QString::fromStdString(evlf::distill::bundle_summary(*m_state->bundle));
  evlf::logger()->info("opened bundle {} ({} classes)", manifest.folder.string(), info.classNames.size());
  return info;
}

QVector<CompareRow> StudioEngine::compare(const StudioRequest& request, const JobControl& job,
                                          const RowsCallback& onRows) {
  State& s = *m_state;
  s.ensureRealSet(request.dataset.toStdString(), job);
  s.checkClasses(request.classes);
  const SamplingSettings settings = toSamplingSettings(request.parameters);
  const int64_t k = std::max(request.parameters.ipc, request.slots);

  // Row batches, each a contiguous range: the rows on screen first (or the first class when the request
  // has no visible range), then the rows below them, then those above. Few large batches beat many small
  // ones, because each sampling step has a fixed overhead.
  const int total = static_cast<int>(request.classes.size()) * request.slots;
  const int first = std::clamp(request.visibleRows > 0 ? request.firstVisibleRow : 0, 0, total);
  const int end = std::clamp(first + (request.visibleRows > 0 ? request.visibleRows : request.slots), first, total);
  const QVector<QPair<int, int>> batches = {{first, end}, {end, total}, {0, first}};
  QVector<CompareRow> rows(total);
  for (const auto& [begin, stop] : batches) {
    if (begin >= stop) continue;
    std::vector<SampleRequest> requests;
    for (int row = begin; row < stop; ++row) {
      requests.push_back({request.classes[row / request.slots], row % request.slots});
    }
    const auto [late, early] = s.generate(requests, k, settings, job);
    const evlf::eval::NearestNeighbours nearest =
        evlf::eval::nearest_neighbours(flatPixels(stackImages(early)), s.realPixels);

    QVector<CompareRow> batchRows;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      CompareRow row;
      row.class_index = static_cast<int>(requests[i].class_index);
      row.class_name = QString::fromStdString(s.className(requests[i].class_index));
      row.slot = static_cast<int>(requests[i].slot);
      row.late = tensorToImage(late[i].image);
      row.early = tensorToImage(early[i].image);
      const auto index = static_cast<int64_t>(i);
      row.nearest_real = tensorToImage(s.real.images[nearest.indices[index].item<int64_t>()]);
      row.late_caption = QCoreApplication::translate("StudioEngine", "late");
      row.early_caption =
          QCoreApplication::translate("StudioEngine", "early (alpha %1)").arg(request.parameters.fusion_weight, 0, 'f', 2);
      row.real_caption =
          QCoreApplication::translate("StudioEngine", "L2 %1").arg(nearest.distances[index].item<double>(), 0, 'f', 2);
      batchRows.push_back(row);
    }
    if (onRows) onRows(begin, batchRows);
    std::copy(batchRows.begin(), batchRows.end(), rows.begin() + begin);
  }
  return rows;
}

AttentionMaps StudioEngine::attention(const StudioRequest& request, const JobControl& job) {
  State& s = *m_state;
  s.ensureTrace(request, job);
  const GeneratedSample& late = s.traced.at(0);
  const GeneratedSample& early = s.traced.at(1);
  const std::vector<std::string>& tokens = s.prompts.tokens.at(request.focusClass);

  AttentionMaps maps;
  for (const std::string& token : tokens) maps.tokens << QString::fromStdString(token);
  maps.early_image = tensorToImage(early.image);
  maps.late_image = tensorToImage(late.image);
  maps.early_fusion = toGrid(
      evlf::distill::fusion_text_attention(s.loaded(), s.prompts, early.latent, request.focusClass),
      static_cast<int64_t>(tokens.size()));
  for (const evlf::distill::TraceStep& step : late.trace) {
    if (step.cross_attention.empty()) continue;
    maps.late.push_back(toGrid(step.cross_attention, static_cast<int64_t>(tokens.size())));
    maps.late_timesteps.push_back(static_cast<int>(step.timestep));
  }
  if (maps.late.empty()) {
    evlf::logger()->info("the late denoiser has no text cross-attention, so the late attention maps stay empty");
  }
  return maps;
}

TimelineResult StudioEngine::timeline(const StudioRequest& request, const JobControl& job) {
  State& s = *m_state;
  s.ensureTrace(request, job);

  TimelineResult result;
  result.steps = request.parameters.steps;
  for (int p = 0; p < 2; ++p) {
    const std::vector<evlf::distill::TraceStep>& trace = s.traced.at(p).trace;
    if (trace.empty()) continue;
    std::vector<torch::Tensor> noisy;
    std::vector<torch::Tensor> clean;
    for (const auto& step : trace) {
      noisy.push_back(step.x_t);
      clean.push_back(step.pred_xstart);
    }
    const torch::Tensor noisyImages =
        evlf::distill::decode_latents(s.loaded(), torch::stack(noisy), s.imageHeight(), s.imageWidth());  // [S, C', H, W]
    const torch::Tensor cleanImages =
        evlf::distill::decode_latents(s.loaded(), torch::stack(clean), s.imageHeight(), s.imageWidth());  // [S, C', H, W]

    TimelineTrace& target = p == 0 ? result.late : result.early;
    for (std::size_t i = 0; i < trace.size(); ++i) {
      TimelineStep step;
      step.timestep = static_cast<int>(trace[i].timestep);
      step.x_t = tensorToImage(noisyImages[static_cast<int64_t>(i)]);
      step.pred_xstart = tensorToImage(cleanImages[static_cast<int64_t>(i)]);
      step.latent_norm = trace[i].latent_norm;
      step.mode_distance = trace[i].mode_distance;
      step.guidance_norm = trace[i].guidance_norm;
      target.steps.push_back(step);
    }
  }
  return result;
}

AnalysisResult StudioEngine::analysis(const StudioRequest& request, const JobControl& job) {
  State& s = *m_state;
  s.ensureSet(request, job);
  AnalysisResult result;

  // PCA of real latents (a per-class subsample) and generated latents.
  std::vector<torch::Tensor> realRows;
  std::vector<int64_t> realLabels;
  for (int c : request.classes) {
    const torch::Tensor index = (s.latents.labels == c).nonzero().flatten().slice(0, 0, kPcaRealPerClass);
    realRows.push_back(s.latents.latents.index_select(0, index).flatten(1));  // [n, D]
    realLabels.insert(realLabels.end(), static_cast<std::size_t>(index.size(0)), c);
  }
  const torch::Tensor generated = stackLatents(s.set).flatten(1);  // [S, D]
  const torch::Tensor points = torch::cat({torch::cat(realRows), generated}).to(torch::kFloat);  // [M, D]
  const torch::Tensor centred = points - points.mean(0, /*keepdim=*/true);
  const auto svd = torch::linalg_svd(centred, /*full_matrices=*/false);
  const torch::Tensor projected = centred.matmul(std::get<2>(svd).slice(0, 0, 2).t()).contiguous();  // [M, 2]
  const auto coordinates = projected.accessor<float, 2>();
  for (int64_t i = 0; i < projected.size(0); ++i) {
    ProjectedPoint point;
    point.x = coordinates[i][0];
    point.y = coordinates[i][1];
    const auto realCount = static_cast<int64_t>(realLabels.size());
    if (i < realCount) {
      point.class_index = static_cast<int>(realLabels[static_cast<std::size_t>(i)]);
      point.source = PointSource::Real;
    } else {
      const GeneratedSample& sample = s.set[static_cast<std::size_t>(i - realCount)];
      point.class_index = static_cast<int>(sample.class_index);
      point.source = sample.pipeline == PipelineKind::Late ? PointSource::Late : PointSource::Early;
    }
    result.pca.push_back(point);
  }

  // Training curves: the total loss of every metrics log in the bundle.
  const fs::path metrics = s.loaded().manifest.folder / "metrics";
  if (fs::is_directory(metrics)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(metrics)) {
      if (entry.path().extension() == ".jsonl" || entry.path().extension() == ".csv") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      NamedSeries series;
      series.name = QString::fromStdString(file.stem().string());
      for (const evlf::io::MetricsRow& row : evlf::io::read_metrics_log(file)) {
        for (const auto& [name, value] : row.values) {
          if (name != "loss" && name != "loss_total") continue;
          series.x << static_cast<double>(row.step);
          series.y << value;
        }
      }
      if (!series.x.isEmpty()) result.curves << series;
    }
  }

  // Over-correction: classifier confidence for the prompt class against pixel distance to real data.
  s.ensureClassifier(job);
  torch::NoGradGuard noGrad;
  const torch::Tensor images = stackImages(s.set);  // [S, C', H, W] uint8
  torch::Tensor x = images.to(torch::kFloat) / 255.0;
  x = evlf::eval::normalise_images(x, s.classifierOptions);
  s.classifier->eval();
  const torch::Tensor device = x.to(s.loaded().device);
  const torch::Tensor probabilities = torch::softmax(s.classifier->forward(device), 1).cpu();  // [S, K]
  const evlf::eval::NearestNeighbours nearest = evlf::eval::nearest_neighbours(flatPixels(images), s.realPixels);
  for (std::size_t i = 0; i < s.set.size(); ++i) {
    const GeneratedSample& sample = s.set[i];
    OverCorrectionPoint point;
    point.confidence = probabilities[static_cast<int64_t>(i)][sample.class_index].item<double>();
    point.nearest_distance = nearest.distances[static_cast<int64_t>(i)].item<double>();
    point.class_index = static_cast<int>(sample.class_index);
    point.pipeline = sample.pipeline == PipelineKind::Late ? Pipeline::Late : Pipeline::Early;
    result.overCorrection << point;
  }
  return result;
}

QVector<CurationItem> StudioEngine::generateSet(const StudioRequest& request, const JobControl& job) {
  State& s = *m_state;
  s.ensureSet(request, job);
  s.curated = s.set;
  s.curatedSettings = s.setSettings;
  QVector<CurationItem> items;
  for (std::size_t i = 0; i < s.curated.size(); ++i) {
    const GeneratedSample& sample = s.curated[i];
    CurationItem item;
    item.id = static_cast<int>(i);
    item.image = tensorToImage(sample.image);
    item.class_index = static_cast<int>(sample.class_index);
    item.class_name = QString::fromStdString(s.className(sample.class_index));
    item.pipeline = QString::fromStdString(evlf::distill::pipeline_name(sample.pipeline));
    items << item;
  }
  return items;
}

ExportResult StudioEngine::exportSet(const QVector<int>& keptIds, const QString& folder, const JobControl& job) {
  State& s = *m_state;
  if (s.curated.empty()) throw Error("no generated set to export; press Generate set in the Curate tab first");
  if (keptIds.isEmpty()) throw Error("no image is kept; mark images with K before exporting");

  const auto& manifest = s.loaded().manifest;
  evlf::io::ImageSetDescription description;
  description.class_names = manifest.dataset.class_names;
  description.parameters = s.curatedSettings;
  description.bundle = {{"path", manifest.folder.string()}, {"name", manifest.name}};
  description.seeds = {{"sampling", s.curatedSettings.at("seed")}, {"kmeans", s.curatedSettings.at("seed")}};
  description.parameters["software"] = evlf::io::software_versions();

  evlf::io::ImageSetWriter writer(fs::path(folder.toStdString()), description, job);
  int64_t done = 0;
  for (int id : keptIds) {
    if (id < 0 || static_cast<std::size_t>(id) >= s.curated.size()) {
      throw Error("invalid image id " + std::to_string(id) + "; the generated set has " + std::to_string(s.curated.size()) +
                  " images");
    }
    const GeneratedSample& sample = s.curated[static_cast<std::size_t>(id)];
    evlf::io::ImageProvenance provenance;
    provenance.class_index = sample.class_index;
    provenance.slot = sample.slot;
    provenance.pipeline = evlf::distill::pipeline_name(sample.pipeline);
    provenance.mode = "kmeans centre " + std::to_string(sample.slot);
    provenance.extra = {{"prompt", s.prompts.prompts.at(sample.class_index)},
                        {"seed", s.curatedSettings.at("seed").dump()}};
    writer.add(sample.image, provenance, {{"Software", "EVLF Studio"}, {"Settings", s.curatedSettings.dump()}});
    job.report({"export", ++done, keptIds.size(), {}, ""});
  }
  writer.commit();
  evlf::logger()->info("exported {} kept images to {}", writer.image_count(), folder.toStdString());
  return {folder, static_cast<int>(writer.image_count())};
}

QString StudioEngine::evaluateSets(const StudioRequest& request, const JobControl& job) {
  State& s = *m_state;
  s.ensureSet(request, job);
  evlf::data::DatasetSpec testSpec = evlf::data::parse_dataset_spec(s.datasetSpec);
  testSpec.split = evlf::data::Split::Test;
  const evlf::data::LabeledImages test = evlf::data::load_dataset(testSpec, s.loaded().manifest.dataset.channels, 0);

  evlf::eval::TrainOptions options;
  options.model = evlf::eval::ClassifierOptions::ConvNet3(s.real.images.size(1), s.real.images.size(2),
                                                          s.loaded().num_classes());
  QStringList lines;
  for (int p = 0; p < 2; ++p) {
    std::vector<torch::Tensor> images;
    std::vector<int64_t> labels;
    for (const GeneratedSample& sample : s.set) {
      if (sample.pipeline != toKind(p)) continue;
      images.push_back(sample.image);
      labels.push_back(sample.class_index);
    }
    // NOTE: one repeat per pipeline keeps the menu action short; `evlf evaluate` reports the mean of several repeats.
    const evlf::eval::EvaluationResult result = evlf::eval::evaluate_set(
        {torch::stack(images), torch::tensor(labels, torch::kInt64)}, {test.images, test.labels}, options,
        kEvaluationRepeats, job);
    const QString line = QCoreApplication::translate("StudioEngine", "%1: ConvNet-3 test accuracy %2 % (IPC %3, %4 epochs)")
                             .arg(QString::fromStdString(evlf::distill::pipeline_name(toKind(p))))
                             .arg(100.0 * result.mean, 0, 'f', 1)
                             .arg(request.parameters.ipc)
                             .arg(options.epochs);
    evlf::logger()->info("{}", line.toStdString());
    lines << line;
  }
  return lines.join(QLatin1Char('\n'));
}
