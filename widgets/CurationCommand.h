#pragma once

#include <QUndoCommand>
#include <QVector>

#include "widgets/CurationItem.h"

class CurationModel;

/// \brief Undoable change of the curation state of a set of images, addressed by id.
///
/// Ids rather than rows keep undo correct while filters hide or reorder rows.
class CurationCommand : public QUndoCommand {
 public:
  CurationCommand(CurationModel* model, const QVector<int>& ids, CurationState state);

  void redo() override;
  void undo() override;

 private:
  CurationModel* m_model = nullptr;
  QVector<int> m_ids;
  QVector<CurationState> m_previous;
  CurationState m_state = CurationState::Undecided;
};
