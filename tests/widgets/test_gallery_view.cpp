// Curation gallery: keep and reject by key, undo and redo, filters by class
// and pipeline, and the kept ids handed to export.
#include <QtTest>

#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QUndoStack>

#include "tests/widgets/synthetic_data.h"
#include "widgets/CurationFilterModel.h"
#include "widgets/CurationModel.h"
#include "widgets/GalleryView.h"

namespace {

constexpr int kClasses = 3;
constexpr int kSlots = 2;
constexpr int kFirstId = 100;

/// Returns classes x pipelines x slots items; ids start at kFirstId in model order.
QVector<CurationItem> makeItems() {
  QVector<CurationItem> items;
  const QString pipelines[] = {QStringLiteral("late"), QStringLiteral("early")};
  for (int c = 0; c < kClasses; ++c) {
    for (const QString& pipeline : pipelines) {
      for (int slot = 0; slot < kSlots; ++slot) {
        CurationItem item;
        item.id = kFirstId + static_cast<int>(items.size());
        item.class_index = c;
        item.class_name = evlf::test::fashionClassNames()[c];
        item.pipeline = pipeline;
        item.image = evlf::test::classImage(c, slot + (pipeline == QLatin1String("early") ? 5 : 0));
        items.append(item);
      }
    }
  }
  return items;
}

}  // namespace

class TestGalleryView : public QObject {
  Q_OBJECT

 private:
  /// Shows `gallery`, waits until it is active and gives the list the focus, so shortcuts reach it.
  static bool showActive(GalleryView& gallery) {
    gallery.resize(640, 480);
    gallery.show();
    gallery.activateWindow();
    if (!QTest::qWaitForWindowActive(&gallery)) return false;
    gallery.listView()->setFocus();
    return true;
  }

  static void selectRow(GalleryView& gallery, int row) {
    const QModelIndex index = gallery.filterModel()->index(row, 0);
    gallery.listView()->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect);
  }

 private Q_SLOTS:
  void keepAndRejectByKeys() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    QVERIFY(showActive(gallery));
    selectRow(gallery, 0);

    QTest::keyClick(gallery.listView(), Qt::Key_K);
    QCOMPARE(gallery.model()->state(kFirstId), CurationState::Kept);
    QCOMPARE(gallery.listView()->currentIndex().row(), 1);

    QTest::keyClick(gallery.listView(), Qt::Key_R);
    QCOMPARE(gallery.model()->state(kFirstId + 1), CurationState::Rejected);

    QTest::keyClick(gallery.listView(), Qt::Key_K);
    QTest::keyClick(gallery.listView(), Qt::Key_U);
    QCOMPARE(gallery.model()->state(kFirstId + 2), CurationState::Kept);
    QCOMPARE(gallery.model()->state(kFirstId + 3), CurationState::Undecided);

    QCOMPARE(gallery.model()->count(CurationState::Kept), 2);
    QCOMPARE(gallery.model()->count(CurationState::Rejected), 1);
    QVERIFY2(gallery.countsLabel()->text().contains(QStringLiteral("2 kept")),
             qPrintable(gallery.countsLabel()->text()));
    QVERIFY2(gallery.countsLabel()->text().contains(QStringLiteral("1 rejected")),
             qPrintable(gallery.countsLabel()->text()));
  }

  void undoAndRedoByKeys() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    QVERIFY(showActive(gallery));
    selectRow(gallery, 0);
    QTest::keyClick(gallery.listView(), Qt::Key_K);
    QTest::keyClick(gallery.listView(), Qt::Key_R);
    QCOMPARE(gallery.undoStack()->count(), 2);

    QTest::keyClick(gallery.listView(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(gallery.model()->state(kFirstId + 1), CurationState::Undecided);
    QCOMPARE(gallery.model()->state(kFirstId), CurationState::Kept);

    QTest::keyClick(gallery.listView(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(gallery.model()->state(kFirstId), CurationState::Undecided);
    QCOMPARE(gallery.model()->count(CurationState::Undecided), kClasses * 2 * kSlots);

    QTest::keyClick(gallery.listView(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(gallery.model()->state(kFirstId), CurationState::Kept);
  }

  void undoRestoresPreviousDecision() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    selectRow(gallery, 4);
    gallery.applyToSelection(CurationState::Kept);
    selectRow(gallery, 4);
    gallery.applyToSelection(CurationState::Rejected);
    QCOMPARE(gallery.model()->state(kFirstId + 4), CurationState::Rejected);

    gallery.undoStack()->undo();
    QCOMPARE(gallery.model()->state(kFirstId + 4), CurationState::Kept);
  }

  void multipleSelectionIsOneUndoStep() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    QItemSelection selection(gallery.filterModel()->index(2, 0), gallery.filterModel()->index(5, 0));
    gallery.listView()->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);

    gallery.applyToSelection(CurationState::Rejected);
    QCOMPARE(gallery.model()->count(CurationState::Rejected), 4);
    QCOMPARE(gallery.undoStack()->count(), 1);

    gallery.undoStack()->undo();
    QCOMPARE(gallery.model()->count(CurationState::Rejected), 0);
  }

  void filtersByClassAndPipeline() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    QCOMPARE(gallery.filterModel()->rowCount(), kClasses * 2 * kSlots);

    gallery.setClassFilter(1);
    QCOMPARE(gallery.filterModel()->rowCount(), 2 * kSlots);
    for (int row = 0; row < gallery.filterModel()->rowCount(); ++row) {
      QCOMPARE(gallery.filterModel()->index(row, 0).data(CurationModel::ClassIndexRole).toInt(), 1);
    }

    gallery.setPipelineFilter(QStringLiteral("early"));
    QCOMPARE(gallery.filterModel()->rowCount(), kSlots);
    for (int row = 0; row < gallery.filterModel()->rowCount(); ++row) {
      const QModelIndex index = gallery.filterModel()->index(row, 0);
      QCOMPARE(index.data(CurationModel::ClassIndexRole).toInt(), 1);
      QCOMPARE(index.data(CurationModel::PipelineRole).toString(), QStringLiteral("early"));
    }

    gallery.setClassFilter(CurationFilterModel::kAllClasses);
    QCOMPARE(gallery.filterModel()->rowCount(), kClasses * kSlots);
    gallery.setPipelineFilter(QString());
    QCOMPARE(gallery.filterModel()->rowCount(), kClasses * 2 * kSlots);
  }

  void undoUnderChangedFilterTargetsSameImage() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    gallery.setClassFilter(2);
    selectRow(gallery, 0);
    const int id = gallery.filterModel()->index(0, 0).data(CurationModel::IdRole).toInt();
    gallery.applyToSelection(CurationState::Kept);
    QCOMPARE(gallery.model()->state(id), CurationState::Kept);

    gallery.setClassFilter(0);
    gallery.undoStack()->undo();
    QCOMPARE(gallery.model()->state(id), CurationState::Undecided);
    QCOMPARE(gallery.model()->count(CurationState::Kept), 0);
  }

  void keptIdsGoToExport() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    for (int row : {7, 1, 9}) {
      selectRow(gallery, row);
      gallery.applyToSelection(CurationState::Kept);
    }
    selectRow(gallery, 3);
    gallery.applyToSelection(CurationState::Rejected);
    const QVector<int> expected = {kFirstId + 1, kFirstId + 7, kFirstId + 9};
    QCOMPARE(gallery.keptIds(), expected);

    QSignalSpy spy(&gallery, &GalleryView::exportRequested);
    auto* exportButton = gallery.findChild<QPushButton*>(QStringLiteral("exportButton"));
    QVERIFY(exportButton);
    QTest::mouseClick(exportButton, Qt::LeftButton);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<QVector<int>>(), expected);
  }

  void newItemsClearUndoHistory() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    selectRow(gallery, 0);
    gallery.applyToSelection(CurationState::Kept);
    gallery.setItems(makeItems());
    QCOMPARE(gallery.undoStack()->count(), 0);
    QCOMPARE(gallery.model()->count(CurationState::Kept), 0);
  }

  void snapshot() {
    GalleryView gallery;
    gallery.setItems(makeItems());
    for (int row : {0, 3, 6}) {
      selectRow(gallery, row);
      gallery.applyToSelection(CurationState::Kept);
    }
    selectRow(gallery, 4);
    gallery.applyToSelection(CurationState::Rejected);
    gallery.resize(760, 420);
    gallery.show();
    QVERIFY(QTest::qWaitForWindowExposed(&gallery));
    const QImage image = gallery.grab().toImage();
    QVERIFY(evlf::test::distinctColors(image) > 8);
    evlf::test::saveSnapshot(&gallery, QStringLiteral("gallery_view"));
  }
};

QTEST_MAIN(TestGalleryView)
#include "test_gallery_view.moc"
