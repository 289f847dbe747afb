// ImageFolder reader on generated trees: grey, colour, alpha and 16-bit
// images, odd files skipped and listed, prompts from templates.
#include <QtTest>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "core/data/image_folder.h"
#include "core/data/prompts.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;

class TestImageFolder : public QObject {
  Q_OBJECT

 private:
  fs::path m_root;

 private Q_SLOTS:
  void initTestCase() {
    m_root = evlf::test::make_temp_dir("evlf-image-folder");
    fs::create_directories(m_root / "b_colour");
    fs::create_directories(m_root / "a_grey");
    fs::create_directories(m_root / "c_empty");

    cv::imwrite((m_root / "a_grey" / "0.png").string(), cv::Mat(8, 8, CV_8UC1, cv::Scalar(200)));
    cv::imwrite((m_root / "a_grey" / "1.png").string(), cv::Mat(8, 8, CV_16UC1, cv::Scalar(65535)));
    cv::imwrite((m_root / "b_colour" / "0.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(255, 0, 0)));
    cv::imwrite((m_root / "b_colour" / "1.png").string(), cv::Mat(8, 8, CV_8UC4, cv::Scalar(0, 0, 255, 128)));
    cv::imwrite((m_root / "b_colour" / "big.png").string(), cv::Mat(16, 16, CV_8UC1, cv::Scalar(10)));
    std::ofstream(m_root / "b_colour" / "notes.txt") << "not an image";
    std::ofstream(m_root / "a_grey" / "broken.png") << "\x89PNG garbage";
    std::ofstream(m_root / "stray-file.txt") << "ignored: not a class folder";
  }

  void cleanupTestCase() { fs::remove_all(m_root); }

  void readsGreyWithSkips() {
    const auto set = evlf::data::read_image_folder(m_root, {/*channels=*/1, std::nullopt});
    QCOMPARE(set.class_names, (std::vector<std::string>{"a_grey", "b_colour", "c_empty"}));
    QCOMPARE(set.images.sizes().vec(), (std::vector<int64_t>{4, 1, 8, 8}));
    QCOMPARE(set.labels.sizes().vec(), (std::vector<int64_t>{4}));
    QCOMPARE(set.labels[0].item<int64_t>(), int64_t(0));
    QCOMPARE(set.labels[3].item<int64_t>(), int64_t(1));
    QCOMPARE(set.images[0][0][0][0].item<int>(), 200);
    QCOMPARE(set.images[1][0][0][0].item<int>(), 255);  // 16-bit white
    QCOMPARE(set.skipped.size(), std::size_t(3));        // broken.png, big.png, notes.txt
    bool size_reason = false;
    for (const auto& skipped : set.skipped) {
      if (skipped.path.filename() == "big.png") size_reason = skipped.reason.find("differs") != std::string::npos;
    }
    QVERIFY(size_reason);
  }

  void resizesAndConvertsColour() {
    const auto set = evlf::data::read_image_folder(m_root, {/*channels=*/3, 8});
    QCOMPARE(set.images.sizes().vec(), (std::vector<int64_t>{5, 3, 8, 8}));
    // b_colour/0.png is pure blue in OpenCV's BGR order, so RGB = (0, 0, 255).
    QCOMPARE(set.images[2][0][0][0].item<int>(), 0);
    QCOMPARE(set.images[2][2][0][0].item<int>(), 255);
    QCOMPARE(set.skipped.size(), std::size_t(2));
  }

  void missingRootRejected() {
    try {
      evlf::data::read_image_folder(m_root / "absent");
      QFAIL("missing root accepted");
    } catch (const evlf::Error& error) {
      QVERIFY(std::string(error.what()).find("absent") != std::string::npos);
    }
  }

  void promptTemplates() {
    QCOMPARE(evlf::data::build_prompt("a photo of a {}", "sneaker"), std::string("a photo of a sneaker"));
    QCOMPARE(evlf::data::build_prompt("{class}, {class}", "bag"), std::string("bag, bag"));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::data::build_prompt("no placeholder", "bag"));
  }
};

QTEST_GUILESS_MAIN(TestImageFolder)
#include "test_image_folder.moc"
