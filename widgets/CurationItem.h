#pragma once

#include <QImage>
#include <QString>

/// \brief A researcher's decision on one synthetic image.
enum class CurationState { Undecided, Kept, Rejected };

/// \brief One synthetic image in the curation gallery.
struct CurationItem {
  int id = 0;            ///< Stable identifier chosen by the caller, returned by `keptIds`.
  QImage image;
  int class_index = 0;
  QString class_name;
  QString pipeline;      ///< Pipeline that produced the image, for example "late" or "early".
  CurationState state = CurationState::Undecided;
};
