// evlf sweep: generate over a grid of fusion weights and CFG scales and
// write one table and one labelled image grid per class.
#include <iostream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "app/cli/commands.h"
#include "app/cli/distill_support.h"
#include "app/cli/interrupt.h"
#include "app/cli/terminal_progress.h"
#include "core/data/dataset.h"
#include "core/eval/metrics.h"
#include "core/io/atomic_file.h"
#include "core/io/image_set_writer.h"
#include "core/runtime/device.h"
#include "core/runtime/error.h"

namespace evlf::cli {
namespace fs = std::filesystem;

namespace {

constexpr int kCellScale = 3;      // grid cells are the image enlarged this many times
constexpr int kLabelWidth = 150;   // pixels left of each row for its label

struct GridPoint {
  std::string pipeline;
  double fusion_weight = 0.0;
  double cfg = 0.0;
  std::vector<distill::GeneratedSample> samples;
};

cv::Mat to_cell(const torch::Tensor& image) {
  const torch::Tensor hwc = image.permute({1, 2, 0}).contiguous();  // [H, W, C]
  cv::Mat mat(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), hwc.size(2) == 1 ? CV_8UC1 : CV_8UC3,
              hwc.data_ptr<uint8_t>());
  cv::Mat colour;
  if (mat.channels() == 1) cv::cvtColor(mat, colour, cv::COLOR_GRAY2BGR);
  else cv::cvtColor(mat, colour, cv::COLOR_RGB2BGR);
  cv::Mat cell;
  cv::resize(colour, cell, cv::Size(), kCellScale, kCellScale, cv::INTER_NEAREST);
  return cell;
}

/// Builds one row per grid point and one column per slot, with a text label per row.
cv::Mat class_grid(const std::vector<GridPoint>& points, int64_t class_index) {
  std::vector<cv::Mat> rows;
  for (const GridPoint& point : points) {
    std::vector<cv::Mat> cells;
    std::ostringstream label;
    label << point.pipeline << " a=" << point.fusion_weight << " cfg=" << point.cfg;
    for (const auto& sample : point.samples) {
      if (sample.class_index == class_index) cells.push_back(to_cell(sample.image));
    }
    if (cells.empty()) continue;
    cv::Mat row;
    cv::hconcat(cells, row);
    cv::Mat labelled(row.rows, row.cols + kLabelWidth, CV_8UC3, cv::Scalar(255, 255, 255));
    row.copyTo(labelled(cv::Rect(kLabelWidth, 0, row.cols, row.rows)));
    cv::putText(labelled, label.str(), cv::Point(4, row.rows / 2 + 4), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    rows.push_back(labelled);
  }
  cv::Mat grid;
  cv::vconcat(rows, grid);
  return grid;
}

/// Mean pixel distance to the nearest real image of the class, and mean
/// pairwise distance among the class's samples (diversity).
std::pair<double, double> class_statistics(const std::vector<distill::GeneratedSample>& samples, int64_t class_index,
                                           const torch::Tensor& real_images) {
  std::vector<torch::Tensor> images;
  for (const auto& sample : samples) {
    if (sample.class_index == class_index) images.push_back(sample.image.to(torch::kFloat32).flatten() / 255.0);
  }
  const torch::Tensor x = torch::stack(images);                                         // [S, P]
  const torch::Tensor real = real_images.to(torch::kFloat32).flatten(1) / 255.0;        // [R, P]
  const double nearest = eval::nearest_neighbours(x, real).distances.mean().item<double>();
  const double diversity = x.size(0) > 1 ? torch::pdist(x).mean().item<double>() : 0.0;
  return {nearest, diversity};
}

std::vector<double> parse_list(const std::string& text, const std::string& flag) {
  std::vector<double> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    try {
      values.push_back(std::stod(item));
    } catch (const std::exception&) {
      throw Error("invalid value '" + item + "' in " + flag + "; give comma-separated numbers such as 0,0.5,1");
    }
  }
  if (values.empty()) throw Error(flag + " is empty; give comma-separated numbers");
  return values;
}

void run_sweep(const SamplingFlags& flags, const std::string& weights_text, const std::string& cfgs_text,
               const fs::path& out, const JobControl& job) {
  const std::vector<double> weights = parse_list(weights_text, "--fusion-weights");
  const std::vector<double> cfgs = parse_list(cfgs_text, "--cfgs");
  const distill::LoadedBundle bundle = distill::load_bundle(bundle_path(flags.bundle), choose_device(flags.device));
  distill::DistillOptions options = make_distill_options(bundle, flags);

  // Late samples per CFG scale, early samples per (fusion weight, CFG scale).
  std::vector<GridPoint> points;
  for (double cfg : cfgs) {
    distill::DistillOptions late = options;
    late.settings.cfg_scale = cfg;
    late.pipelines = {distill::PipelineKind::Late};
    points.push_back({"late", 0.0, cfg, distill::generate_distilled_sets(bundle, late, job)[0].samples});
    for (double weight : weights) {
      distill::DistillOptions early = options;
      early.settings.cfg_scale = cfg;
      early.settings.fusion_weight = weight;
      early.pipelines = {distill::PipelineKind::Early};
      points.push_back({"early", weight, cfg, distill::generate_distilled_sets(bundle, early, job)[0].samples});
    }
  }

  // Table and grids, written into a temporary folder renamed at the end.
  const data::LabeledImages train = data::load_dataset(data::parse_dataset_spec(flags.dataset));
  const fs::path staging = io::temporary_sibling(fs::absolute(out));
  fs::create_directories(staging);
  try {
    std::ostringstream table;
    table << "pipeline,fusion_weight,cfg,class,class_name,nearest_real_distance,diversity\n";
    const auto folders = io::class_folder_names(bundle.manifest.dataset.class_names);
    std::vector<int64_t> classes = options.classes;
    if (classes.empty()) {
      for (int64_t k = 0; k < bundle.num_classes(); ++k) classes.push_back(k);
    }
    for (int64_t k : classes) {
      const torch::Tensor real = train.images.index_select(0, (train.labels == k).nonzero().flatten());
      for (const GridPoint& point : points) {
        const auto [nearest, diversity] = class_statistics(point.samples, k, real);
        table << point.pipeline << ',' << point.fusion_weight << ',' << point.cfg << ',' << k << ",\""
              << bundle.manifest.dataset.class_names[k] << "\"," << nearest << ',' << diversity << '\n';
      }
      cv::imwrite((staging / ("grid_" + folders[k] + ".png")).string(), class_grid(points, k));
    }
    io::write_text_atomically(staging / "table.csv", table.str());
    if (fs::exists(out)) fs::remove_all(out);
    fs::rename(staging, out);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
}

}  // namespace

void register_sweep(CLI::App& app, CommonOptions& common) {
  auto flags = std::make_shared<SamplingFlags>();
  flags->ipc = 4;
  auto weights = std::make_shared<std::string>("0,0.5,1,1.5");
  auto cfgs = std::make_shared<std::string>("1,2,4");
  auto out = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("sweep", "Generate over a fusion-weight x CFG grid; write a table and per-class grids");
  add_sampling_flags(command, *flags);
  command->add_option("--fusion-weights", *weights, "Comma-separated fusion weights alpha");
  command->add_option("--cfgs", *cfgs, "Comma-separated CFG scales");
  command->add_option("--out", *out, "Output folder (replaced atomically)")->required();
  command->callback([&common, flags, weights, cfgs, out] {
    apply_common(common);
    TerminalProgress progress;
    JobControl job;
    job.on_progress = progress_callback(progress);
    InterruptGuard interrupt(job.cancel);
    run_sweep(*flags, *weights, *cfgs, *out, job);
    progress.finish();
    std::cout << "wrote " << *out << "/table.csv and one grid per class\n";
  });
}

}  // namespace evlf::cli
