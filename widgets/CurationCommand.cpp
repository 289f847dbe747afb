#include "widgets/CurationCommand.h"

#include <QCoreApplication>

#include "widgets/CurationModel.h"

namespace {

QString describe(CurationState state, int count) {
  switch (state) {
    case CurationState::Kept:
      return QCoreApplication::translate("CurationCommand", "Keep %n image(s)", nullptr, count);
    case CurationState::Rejected:
      return QCoreApplication::translate("CurationCommand", "Reject %n image(s)", nullptr, count);
    case CurationState::Undecided:
      break;
  }
  return QCoreApplication::translate("CurationCommand", "Clear the decision on %n image(s)", nullptr, count);
}

}  // namespace

CurationCommand::CurationCommand(CurationModel* model, const QVector<int>& ids, CurationState state)
    : QUndoCommand(describe(state, static_cast<int>(ids.size()))), m_model(model), m_ids(ids), m_state(state) {
  for (int id : ids) m_previous.append(model->state(id));
}

void CurationCommand::redo() {
  for (int id : m_ids) m_model->setState(id, m_state);
}

void CurationCommand::undo() {
  for (int i = 0; i < m_ids.size(); ++i) m_model->setState(m_ids[i], m_previous[i]);
}
