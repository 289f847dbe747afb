// Parameter panel: slider and spin box stay in sync, edits emit once,
// programmatic updates stay silent, and the stop step follows the step count.
#include <QtTest>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QPushButton>
#include <QSlider>

#include "tests/widgets/synthetic_data.h"
#include "widgets/ParameterPanel.h"
#include "widgets/SliderSpinBox.h"

class TestParameterPanel : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void sliderMoveUpdatesSpinBox() {
    ParameterPanel panel;
    QSignalSpy spy(&panel, &ParameterPanel::parametersChanged);

    panel.fusionWeightEditor()->slider()->setValue(50);

    QCOMPARE(panel.fusionWeightEditor()->spinBox()->value(), 0.5);
    QCOMPARE(spy.count(), 1);
    const auto emitted = spy.at(0).at(0).value<SamplingParameters>();
    QCOMPARE(emitted.fusion_weight, 0.5);
    QCOMPARE(panel.parameters().fusion_weight, 0.5);
  }

  void sliderKeyStepsByOneIncrement() {
    ParameterPanel panel;
    QSignalSpy spy(&panel, &ParameterPanel::parametersChanged);

    QTest::keyClick(panel.modeGuidanceEditor()->slider(), Qt::Key_Right);

    QCOMPARE(spy.count(), 1);
    QCOMPARE(panel.modeGuidanceEditor()->spinBox()->value(), 0.11);
    QCOMPARE(spy.at(0).at(0).value<SamplingParameters>().mode_guidance, 0.11);
  }

  void spinBoxEditMovesSlider() {
    ParameterPanel panel;
    QSignalSpy spy(&panel, &ParameterPanel::parametersChanged);

    panel.cfgScaleEditor()->spinBox()->setValue(7.5);

    QCOMPARE(panel.cfgScaleEditor()->slider()->value(), 65);  // (7.5 - 1) / 0.1
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<SamplingParameters>().cfg_scale, 7.5);
  }

  void editorRangesMatchSpecification() {
    ParameterPanel panel;
    QCOMPARE(panel.fusionWeightEditor()->minimum(), 0.0);
    QCOMPARE(panel.fusionWeightEditor()->maximum(), 1.5);
    QCOMPARE(panel.cfgScaleEditor()->minimum(), 1.0);
    QCOMPARE(panel.cfgScaleEditor()->maximum(), 10.0);
    QCOMPARE(panel.modeGuidanceEditor()->maximum(), 1.0);
    QCOMPARE(panel.stepsEditor()->minimum(), 1.0);
    QCOMPARE(panel.stepsEditor()->maximum(), 1000.0);
    QCOMPARE(panel.ipcEditor()->minimum(), 1.0);
    QCOMPARE(panel.ipcEditor()->maximum(), 100.0);
    QCOMPARE(panel.samplerEditor()->count(), 2);
  }

  void setParametersIsSilent() {
    ParameterPanel panel;
    QSignalSpy spy(&panel, &ParameterPanel::parametersChanged);
    SamplingParameters parameters;
    parameters.fusion_weight = 0.3;
    parameters.cfg_scale = 2.5;
    parameters.mode_guidance = 0.4;
    parameters.steps = 100;
    parameters.stop_t = 60;
    parameters.sampler = Sampler::Ddim;
    parameters.seed = 1234;
    parameters.ipc = 7;

    panel.setParameters(parameters);

    QCOMPARE(spy.count(), 0);
    QVERIFY2(panel.parameters() == parameters, panel.parameters().to_string().c_str());
  }

  void restorePublishedSettings() {
    ParameterPanel panel;
    SamplingParameters edited;
    edited.fusion_weight = 0.2;
    edited.cfg_scale = 9.0;
    edited.mode_guidance = 0.8;
    edited.steps = 200;
    edited.stop_t = 150;
    edited.sampler = Sampler::Ddim;
    edited.seed = 99;
    edited.ipc = 3;
    panel.setParameters(edited);
    QSignalSpy spy(&panel, &ParameterPanel::parametersChanged);

    QTest::mouseClick(panel.restoreButton(), Qt::LeftButton);

    QCOMPARE(spy.count(), 1);
    const SamplingParameters restored = panel.parameters();
    QCOMPARE(restored.steps, 50);
    QCOMPARE(restored.cfg_scale, 4.0);
    QCOMPARE(restored.mode_guidance, 0.1);
    QCOMPARE(restored.stop_t, 25);
    QCOMPARE(restored.fusion_weight, 1.0);
    // Sampler, seed and IPC are not part of the published sampling settings.
    QCOMPARE(restored.sampler, Sampler::Ddim);
    QCOMPARE(restored.seed, std::int64_t{99});
    QCOMPARE(restored.ipc, 3);
    QVERIFY(spy.at(0).at(0).value<SamplingParameters>() == restored);
  }

  void stopStepClampsToSteps() {
    ParameterPanel panel;
    QCOMPARE(panel.parameters().stop_t, 25);
    QSignalSpy spy(&panel, &ParameterPanel::parametersChanged);

    panel.stepsEditor()->spinBox()->setValue(20);

    QCOMPARE(panel.stopStepEditor()->maximum(), 20.0);
    QCOMPARE(panel.parameters().stop_t, 20);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<SamplingParameters>().stop_t, 20);

    panel.stepsEditor()->spinBox()->setValue(300);
    QCOMPARE(panel.stopStepEditor()->maximum(), 300.0);
    QCOMPARE(panel.parameters().stop_t, 20);
  }

  void setParametersClampsStopStep() {
    ParameterPanel panel;
    SamplingParameters parameters;
    parameters.steps = 10;
    parameters.stop_t = 40;
    panel.setParameters(parameters);
    QCOMPARE(panel.parameters().stop_t, 10);
  }

  void samplerKeyEmitsChange() {
    ParameterPanel panel;
    QSignalSpy spy(&panel, &ParameterPanel::parametersChanged);

    QTest::keyClick(panel.samplerEditor(), Qt::Key_Down);

    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<SamplingParameters>().sampler, Sampler::Ddim);
  }

  void seedAcceptsLargeValues() {
    ParameterPanel panel;
    panel.seedEditor()->spinBox()->setValue(2147483647);
    QCOMPARE(panel.parameters().seed, std::int64_t{2147483647});
  }

  void snapshot() {
    ParameterPanel panel;
    panel.resize(panel.sizeHint().expandedTo(QSize(420, 0)));
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    const QImage image = panel.grab().toImage();
    QVERIFY(!image.isNull());
    QVERIFY(evlf::test::distinctColors(image) > 4);
    evlf::test::saveSnapshot(&panel, QStringLiteral("parameter_panel"));
  }
};

QTEST_MAIN(TestParameterPanel)
#include "test_parameter_panel.moc"
