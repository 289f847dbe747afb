#pragma once

#include <QVector>
#include <QWidget>

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;

/// \brief The "Bundle and data" dock: bundle folder, dataset, class selection and compare slots.
///
/// Signals fire on user edits only; the setters stay silent, so restoring
/// settings does not start work.
class BundlePanel : public QWidget {
  Q_OBJECT

 public:
  explicit BundlePanel(QWidget* parent = nullptr);

  /// Shows `folder` and lists `classNames`, ticking `checked` (every class when it is empty or out of range).
  void setBundle(const QString& folder, const QStringList& classNames, const QVector<int>& checked);
  void setBundleMessage(const QString& message);
  QVector<int> checkedClasses() const;
  void setCheckedClasses(const QVector<int>& classes);

  QString dataset() const;
  void setDataset(const QString& dataset);
  int slotCount() const;
  void setSlotCount(int slots);
  /// The (class, slot) traced by the attention and timeline views.
  int focusClass() const;
  int focusSlot() const;
  void setFocusSlotMaximum(int maximum);

  QPushButton* openButton() const { return m_openButton; }
  QLineEdit* datasetEditor() const { return m_dataset; }
  QListWidget* classList() const { return m_classes; }
  QSpinBox* slotsEditor() const { return m_slots; }
  QSpinBox* focusSlotEditor() const { return m_focusSlot; }

 Q_SIGNALS:
  void openRequested();
  void datasetChanged(const QString& dataset);
  void classesChanged(const QVector<int>& classes);
  void slotsChanged(int slots);
  void focusChanged(int classIndex, int slot);

 private:
  void onItemChanged();
  void setAllChecked(bool checked);

  QPushButton* m_openButton = nullptr;
  QLabel* m_bundleLabel = nullptr;
  QLineEdit* m_dataset = nullptr;
  QListWidget* m_classes = nullptr;
  QSpinBox* m_slots = nullptr;
  QSpinBox* m_focusSlot = nullptr;
  QString m_lastDataset;
};
