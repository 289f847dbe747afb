#pragma once

#include <QImage>
#include <QString>

/// \brief One (class, slot) pair in the compare view: the late and early samples and the nearest real image.
struct CompareRow {
  int class_index = 0;
  QString class_name;
  int slot = 0;           ///< Index of the sample within its class, 0 .. IPC-1.
  QImage late;            ///< Sample from the late-fusion pipeline; null while pending.
  QImage early;           ///< Sample from the early-fusion (EVLF) pipeline; null while pending.
  QImage nearest_real;    ///< Real training image closest to the early sample.
  QString late_caption;   ///< Short text under the image, for example a classifier confidence.
  QString early_caption;
  QString real_caption;
};
