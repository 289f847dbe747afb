#pragma once

#include <QString>
#include <QVector>

#include <functional>
#include <memory>

#include "app/gui/StudioRequest.h"
#include "core/runtime/progress.h"
#include "widgets/AttentionMaps.h"
#include "widgets/CompareRow.h"
#include "widgets/CurationItem.h"

/// \brief The models and cached tensors of EVLF Studio, turned into plain view data.
///
/// Lives on the worker thread: every method runs inside a Worker task and
/// must not be called from the GUI thread. The engine keeps the loaded
/// bundle, the class prompts, the encoded real images, their fused latents,
/// the modes of each pipeline, the last traced run and the last generated
/// set, so a slider move recomputes only what it changes. Methods throw
/// evlf::Error for invalid input and evlf::CancelledError when `job` is
/// cancelled. Its header stays free of LibTorch so Qt classes can hold it.
class StudioEngine {
 public:
  /// Sets LibTorch's intra-op thread count to one per hardware thread, as the command line does, so the
  /// threads started afterwards (the worker) use every core. Debian's LibTorch otherwise starts with one.
  StudioEngine();
  ~StudioEngine();

  StudioEngine(const StudioEngine&) = delete;
  StudioEngine& operator=(const StudioEngine&) = delete;


  /// Loads the bundle in `folder` and drops every cached result of the previous one.
  BundleInfo loadBundle(const QString& folder, const evlf::JobControl& job);
  bool hasBundle() const;

  /// Receives rows as soon as they are sampled; `firstRow` indexes the whole result.
  using RowsCallback = std::function<void(int firstRow, const QVector<CompareRow>& rows)>;

  /// Late and early samples of every selected (class, slot) with the real image nearest to the early one,
  /// sampled first for the first class alone, so `onRows` can show it before the other classes are done.
  QVector<CompareRow> compare(const StudioRequest& request, const evlf::JobControl& job,
                              const RowsCallback& onRows = {});

  /// Early fusion attention and per-step late cross-attention of the focus sample.
  AttentionMaps attention(const StudioRequest& request, const evlf::JobControl& job);

  /// Per-step previews and curves of the focus sample in both pipelines.
  TimelineResult timeline(const StudioRequest& request, const evlf::JobControl& job);

  /// PCA of real and generated latents, the bundle's training curves and the over-correction scatter.
  AnalysisResult analysis(const StudioRequest& request, const evlf::JobControl& job);

  /// Generates IPC samples per selected class with both pipelines; item ids index the generated set.
  QVector<CurationItem> generateSet(const StudioRequest& request, const evlf::JobControl& job);

  /// Writes the generated images with `keptIds` to `folder` as an image set with provenance.
  ExportResult exportSet(const QVector<int>& keptIds, const QString& folder, const evlf::JobControl& job);

  /// Trains a classifier on the late and on the early set and returns one line per pipeline with its test accuracy.
  QString evaluateSets(const StudioRequest& request, const evlf::JobControl& job);

 private:
  struct State;
  std::unique_ptr<State> m_state;
};
