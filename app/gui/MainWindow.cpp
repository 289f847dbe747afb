#include "app/gui/MainWindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include "app/gui/BundlePanel.h"
#include "app/gui/LanguageMenu.h"
#include "core/io/data_paths.h"
#include "core/runtime/log.h"
#include "widgets/AnalysisView.h"
#include "widgets/AttentionView.h"
#include "widgets/CompareView.h"
#include "widgets/GalleryView.h"
#include "widgets/LogPanel.h"
#include "widgets/ParameterPanel.h"
#include "widgets/ProgressBanner.h"
#include "widgets/TimelineView.h"

namespace {

const QString kBundleKey = QStringLiteral("session/bundle");
const QString kDatasetKey = QStringLiteral("session/dataset");
const QString kSlotsKey = QStringLiteral("session/slots");
const QString kClassesKey = QStringLiteral("session/classes");
const QString kTabKey = QStringLiteral("session/tab");
const QString kExportKey = QStringLiteral("session/exportFolder");

void saveParameters(QSettings& settings, const SamplingParameters& parameters) {
  settings.beginGroup(QStringLiteral("parameters"));
  settings.setValue(QStringLiteral("fusionWeight"), parameters.fusion_weight);
  settings.setValue(QStringLiteral("cfgScale"), parameters.cfg_scale);
  settings.setValue(QStringLiteral("modeGuidance"), parameters.mode_guidance);
  settings.setValue(QStringLiteral("stopStep"), parameters.stop_t);
  settings.setValue(QStringLiteral("steps"), parameters.steps);
  settings.setValue(QStringLiteral("sampler"), parameters.sampler == Sampler::Ddim ? QStringLiteral("ddim") : QStringLiteral("ddpm"));
  settings.setValue(QStringLiteral("seed"), static_cast<qlonglong>(parameters.seed));
  settings.setValue(QStringLiteral("ipc"), parameters.ipc);
  settings.endGroup();
}

SamplingParameters loadParameters(QSettings& settings) {
  SamplingParameters parameters;
  settings.beginGroup(QStringLiteral("parameters"));
  parameters.fusion_weight = settings.value(QStringLiteral("fusionWeight"), parameters.fusion_weight).toDouble();
  parameters.cfg_scale = settings.value(QStringLiteral("cfgScale"), parameters.cfg_scale).toDouble();
  parameters.mode_guidance = settings.value(QStringLiteral("modeGuidance"), parameters.mode_guidance).toDouble();
  parameters.stop_t = settings.value(QStringLiteral("stopStep"), parameters.stop_t).toInt();
  parameters.steps = settings.value(QStringLiteral("steps"), parameters.steps).toInt();
  parameters.sampler = settings.value(QStringLiteral("sampler")).toString() == QLatin1String("ddim") ? Sampler::Ddim : Sampler::Ddpm;
  parameters.seed = settings.value(QStringLiteral("seed"), static_cast<qlonglong>(parameters.seed)).toLongLong();
  parameters.ipc = settings.value(QStringLiteral("ipc"), parameters.ipc).toInt();
  settings.endGroup();
  return parameters;
}

LogPanel::Level toPanelLevel(evlf::LogLevel level) {
  switch (level) {
    case evlf::LogLevel::Trace: return LogPanel::Level::Trace;
    case evlf::LogLevel::Debug: return LogPanel::Level::Debug;
    case evlf::LogLevel::Info: return LogPanel::Level::Info;
    case evlf::LogLevel::Warn: return LogPanel::Level::Warning;
    case evlf::LogLevel::Error: return LogPanel::Level::Error;
  }
  return LogPanel::Level::Info;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("EVLF Studio"));

  // Views in the centre.
  m_compareView = new CompareView(this);
  m_attentionView = new AttentionView(this);
  m_timelineView = new TimelineView(this);
  m_analysisView = new AnalysisView(this);
  m_tabs = new QTabWidget(this);
  m_tabs->setObjectName(QStringLiteral("viewTabs"));
  m_tabs->addTab(m_compareView, tr("Compare"));
  m_tabs->addTab(m_attentionView, tr("Attention"));
  m_tabs->addTab(m_timelineView, tr("Timeline"));
  m_tabs->addTab(m_analysisView, tr("Analysis"));
  m_tabs->addTab(createCurateTab(), tr("Curate"));
  setCentralWidget(m_tabs);

  // Progress in the status area; the controller starts and stops it.
  m_progressBanner = new ProgressBanner(this);
  statusBar()->addPermanentWidget(m_progressBanner, 1);

  createDocks();
  StudioViews views;
  views.compare = m_compareView;
  views.attention = m_attentionView;
  views.timeline = m_timelineView;
  views.analysis = m_analysisView;
  views.gallery = m_galleryView;
  views.progress = m_progressBanner;
  m_controller = new StudioController(views, this);

  // Core log lines may come from the worker thread, so they cross by a queued signal.
  connect(this, &MainWindow::logLineReceived, this, &MainWindow::appendLog, Qt::QueuedConnection);
  m_logCallbackId = evlf::add_log_callback([this](evlf::LogLevel level, const std::string& line) {
    Q_EMIT logLineReceived(static_cast<int>(level), QString::fromStdString(line));
  });

  createMenus();
  connectPanels();
  statusBar()->showMessage(tr("Open a model bundle to start (File > Open bundle)."));
  restoreSettings();
}

MainWindow::~MainWindow() {
  // Log lines must stop reaching this window before it goes away.
  evlf::remove_log_callback(m_logCallbackId);
}

QWidget* MainWindow::createCurateTab() {
  auto* tab = new QWidget(this);
  auto* generateButton = new QPushButton(tr("Generate set"), tab);
  generateButton->setToolTip(tr("Generate IPC images per ticked class with both pipelines"));
  connect(generateButton, &QPushButton::clicked, this, [this] { m_controller->generateSet(); });
  m_galleryView = new GalleryView(tab);
  connect(m_galleryView, &GalleryView::exportRequested, this, &MainWindow::chooseExportFolder);

  auto* bar = new QHBoxLayout;
  bar->addWidget(generateButton);
  bar->addWidget(new QLabel(tr("K keeps, R rejects, U clears; Ctrl+E exports the kept images."), tab));
  bar->addStretch();
  auto* layout = new QVBoxLayout(tab);
  layout->addLayout(bar);
  layout->addWidget(m_galleryView, 1);
  return tab;
}

void MainWindow::createDocks() {
  m_bundlePanel = new BundlePanel(this);
  auto* bundleDock = new QDockWidget(tr("Bundle and data"), this);
  bundleDock->setObjectName(QStringLiteral("bundleDock"));
  bundleDock->setWidget(m_bundlePanel);
  addDockWidget(Qt::LeftDockWidgetArea, bundleDock);

  m_parameterPanel = new ParameterPanel(this);
  auto* parameterDock = new QDockWidget(tr("Sampling"), this);
  parameterDock->setObjectName(QStringLiteral("parameterDock"));
  parameterDock->setWidget(m_parameterPanel);
  addDockWidget(Qt::RightDockWidgetArea, parameterDock);

  m_logPanel = new LogPanel(this);
  auto* logDock = new QDockWidget(tr("Log"), this);
  logDock->setObjectName(QStringLiteral("logDock"));
  logDock->setWidget(m_logPanel);
  addDockWidget(Qt::BottomDockWidgetArea, logDock);
}

void MainWindow::createMenus() {
  // File
  QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
  QAction* openAction = fileMenu->addAction(tr("&Open bundle…"), this, &MainWindow::chooseBundle);
  openAction->setShortcut(QKeySequence::Open);
  openAction->setStatusTip(tr("Open a model bundle folder (one with bundle.json)"));
  QAction* exportAction = fileMenu->addAction(tr("&Export kept set…"), this, &MainWindow::chooseExportFolder);
  exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  exportAction->setStatusTip(tr("Write the kept images of the Curate tab as an image set with provenance"));
  fileMenu->addSeparator();
  QAction* quitAction = fileMenu->addAction(tr("&Quit"));
  quitAction->setShortcut(QKeySequence::Quit);
  quitAction->setStatusTip(tr("Close EVLF Studio"));
  connect(quitAction, &QAction::triggered, this, &QWidget::close);

  // View
  QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
  for (int index = 0; index < m_tabs->count(); ++index) {
    QAction* action = viewMenu->addAction(m_tabs->tabText(index), this, [this, index] { m_tabs->setCurrentIndex(index); });
    action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + index)));
    action->setStatusTip(tr("Show the %1 view").arg(m_tabs->tabText(index)));
  }
  viewMenu->addSeparator();
  for (QDockWidget* dock : findChildren<QDockWidget*>()) viewMenu->addAction(dock->toggleViewAction());

  // Run
  QMenu* runMenu = menuBar()->addMenu(tr("&Run"));
  QAction* regenerateAction = runMenu->addAction(tr("&Regenerate"), m_controller, &StudioController::regenerate);
  regenerateAction->setShortcut(QKeySequence(Qt::Key_F5));
  regenerateAction->setStatusTip(tr("Sample the compare view and the visible view again"));
  QAction* cancelAction = runMenu->addAction(tr("&Cancel"), m_controller, &StudioController::cancelAll);
  cancelAction->setShortcut(QKeySequence(Qt::Key_Escape));
  cancelAction->setStatusTip(tr("Stop the running and the pending work"));
  QAction* generateAction = runMenu->addAction(tr("&Generate set"), m_controller, &StudioController::generateSet);
  generateAction->setStatusTip(tr("Generate IPC images per ticked class with both pipelines for curation"));
  QAction* evaluateAction = runMenu->addAction(tr("&Evaluate sets"), m_controller, &StudioController::evaluateSets);
  evaluateAction->setStatusTip(
      tr("Train ConvNet-3 on the late and on the early set and report their accuracy on the real test split"));

  addLanguageMenu(menuBar());

  // Help
  QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
  QAction* aboutAction = helpMenu->addAction(tr("&About EVLF Studio"), this, &MainWindow::showAbout);
  aboutAction->setStatusTip(tr("Show the version and what EVLF Studio does"));
}

void MainWindow::connectPanels() {
  // Bundle panel and parameter panel to the controller.
  connect(m_bundlePanel, &BundlePanel::openRequested, this, &MainWindow::chooseBundle);
  connect(m_bundlePanel, &BundlePanel::datasetChanged, m_controller, &StudioController::setDataset);
  connect(m_bundlePanel, &BundlePanel::classesChanged, m_controller, &StudioController::setClasses);
  connect(m_bundlePanel, &BundlePanel::slotsChanged, m_controller, &StudioController::setSlots);
  connect(m_bundlePanel, &BundlePanel::focusChanged, m_controller, &StudioController::setFocus);
  connect(m_parameterPanel, &ParameterPanel::parametersChanged, m_controller, [this](const SamplingParameters& p) {
    m_bundlePanel->setFocusSlotMaximum(p.ipc - 1);
    m_controller->setParameters(p);
  });
  connect(m_tabs, &QTabWidget::currentChanged, m_controller,
          [this](int index) { m_controller->setActiveView(static_cast<StudioController::View>(index)); });

  // Controller results to the window.
  connect(m_controller, &StudioController::bundleLoaded, this, &MainWindow::onBundleLoaded);
  connect(m_controller, &StudioController::taskFailed, this, &MainWindow::onTaskFailed);
  connect(m_controller, &StudioController::statusMessage, this,
          [this](const QString& message) { statusBar()->showMessage(message); });
  connect(m_controller, &StudioController::exportFinished, this, [this](const QString& folder, int images) {
    QSettings().setValue(kExportKey, folder);
    statusBar()->showMessage(tr("Exported %n images to %1", nullptr, images).arg(folder));
  });
}

void MainWindow::openBundle(const QString& folder) {
  m_bundlePanel->setBundleMessage(tr("Opening %1…").arg(folder));
  m_controller->openBundle(folder);
}

bool MainWindow::openStartupBundle() {
  const QString last = QSettings().value(kBundleKey).toString();
  if (!last.isEmpty() && QFileInfo::exists(QDir(last).filePath(QStringLiteral("bundle.json")))) {
    openBundle(last);
    return true;
  }
  if (const auto found = evlf::io::find_default_bundle()) {
    openBundle(QString::fromStdString(found->string()));
    return true;
  }
  return false;
}

void MainWindow::showView(StudioController::View view) { m_tabs->setCurrentIndex(static_cast<int>(view)); }

void MainWindow::exportKept(const QString& folder) { m_controller->exportSet(m_galleryView->keptIds(), folder); }

void MainWindow::chooseBundle() {
  const QString start = QSettings().value(kBundleKey, QDir::homePath()).toString();
  const QString folder = QFileDialog::getExistingDirectory(this, tr("Open model bundle"), start);
  if (!folder.isEmpty()) openBundle(folder);
}

void MainWindow::chooseExportFolder() {
  if (m_galleryView->keptIds().isEmpty()) {
    statusBar()->showMessage(tr("No image is kept yet: select images in the Curate tab and press K."));
    return;
  }
  const QString start = QSettings().value(kExportKey, QDir::home().filePath(QStringLiteral("evlf-set"))).toString();
  const QString folder = QFileDialog::getSaveFileName(this, tr("Export kept images to a new folder"), start, QString(),
                                                      nullptr, QFileDialog::ShowDirsOnly);
  if (!folder.isEmpty()) exportKept(folder);
}

void MainWindow::onBundleLoaded(const BundleInfo& bundle) {
  setWindowTitle(tr("EVLF Studio — %1").arg(bundle.name));
  m_bundlePanel->setBundle(bundle.folder, bundle.classNames, m_controller->request().classes);
  QSettings().setValue(kBundleKey, bundle.folder);
  for (const QString& line : bundle.summary.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) m_logPanel->appendLine(line);
}

void MainWindow::onTaskFailed(const QString& key, const QString& message) {
  if (key == QLatin1String("load")) m_bundlePanel->setBundleMessage(tr("Could not open the bundle: %1").arg(message));
  // Export is the one failure that gets a message box, because the user started it and waits for the files.
  if (key == QLatin1String("export")) QMessageBox::warning(this, tr("Export failed"), message);
}

void MainWindow::appendLog(int level, const QString& line) {
  m_logPanel->appendMessage(toPanelLevel(static_cast<evlf::LogLevel>(level)), line);
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About EVLF Studio"),
                     tr("<p><b>EVLF Studio %1</b></p><p>Diffusion-based dataset distillation with early "
                        "vision-language fusion: compare late and early fusion side by side, inspect attention and "
                        "sampling trajectories, and export curated synthetic sets.</p>")
                         .arg(QApplication::applicationVersion()));
}

void MainWindow::restoreSettings() {
  QSettings settings;
  if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) resize(1400, 900);
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());

  const SamplingParameters parameters = loadParameters(settings);
  m_parameterPanel->setParameters(parameters);
  m_controller->setParameters(m_parameterPanel->parameters());
  m_bundlePanel->setFocusSlotMaximum(parameters.ipc - 1);
  m_bundlePanel->setDataset(settings.value(kDatasetKey, QStringLiteral("fashion-mnist")).toString());
  m_controller->setDataset(m_bundlePanel->dataset());
  m_bundlePanel->setSlotCount(settings.value(kSlotsKey, 2).toInt());
  m_controller->setSlots(m_bundlePanel->slotCount());
  QVector<int> classes;
  for (const QVariant& value : settings.value(kClassesKey).toList()) classes << value.toInt();
  m_controller->setClasses(classes);
  m_tabs->setCurrentIndex(settings.value(kTabKey, 0).toInt());
}

void MainWindow::saveSettings() const {
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  saveParameters(settings, m_parameterPanel->parameters());
  settings.setValue(kDatasetKey, m_bundlePanel->dataset());
  settings.setValue(kSlotsKey, m_bundlePanel->slotCount());
  QVariantList classes;
  for (int c : m_bundlePanel->checkedClasses()) classes << c;
  if (!classes.isEmpty()) settings.setValue(kClassesKey, classes);
  settings.setValue(kTabKey, m_tabs->currentIndex());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  saveSettings();
  m_controller->cancelAll();
  event->accept();
}
