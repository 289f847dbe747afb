#include "widgets/ProgressBanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>

#include <algorithm>

namespace {

// QProgressBar stores int, so the bar counts per mille and 64-bit totals fit.
constexpr int kProgressScale = 1000;

}  // namespace

ProgressBanner::ProgressBanner(QWidget* parent) : QWidget(parent) {
  m_stageLabel = new QLabel(this);
  m_progressBar = new QProgressBar(this);
  m_progressBar->setTextVisible(true);
  m_cancelButton = new QPushButton(tr("Cancel"), this);

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(4, 2, 4, 2);
  layout->addWidget(m_stageLabel);
  layout->addWidget(m_progressBar, /*stretch=*/1);
  layout->addWidget(m_cancelButton);

  connect(m_cancelButton, &QPushButton::clicked, this, &ProgressBanner::onCancelClicked);
  hide();
}

void ProgressBanner::start(const QString& stage) {
  setStage(stage);
  setProgress(0, 0);
  m_cancelButton->setEnabled(true);
  m_cancelButton->setText(tr("Cancel"));
  show();
}

void ProgressBanner::setStage(const QString& stage) { m_stageLabel->setText(stage); }

void ProgressBanner::setProgress(qint64 done, qint64 total) {
  if (total <= 0) {
    m_progressBar->setRange(0, 0);
    return;
  }
  m_progressBar->setRange(0, kProgressScale);
  m_progressBar->setValue(static_cast<int>(kProgressScale * std::clamp<qint64>(done, 0, total) / total));
  m_progressBar->setFormat(tr("%1 of %2").arg(done).arg(total));
}

void ProgressBanner::finish() {
  hide();
  m_cancelButton->setEnabled(true);
}

void ProgressBanner::onCancelClicked() {
  m_cancelButton->setEnabled(false);
  m_cancelButton->setText(tr("Cancelling…"));
  Q_EMIT cancelRequested();
}
