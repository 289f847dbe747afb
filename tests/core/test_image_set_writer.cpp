// PNG iTXt metadata and the atomic image-set writer: Unicode round trips,
// unsafe class names, cancelled and failed runs, and reading the result
// back as an ImageFolder tree.
#include <QtTest>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "core/data/image_folder.h"
#include "core/io/image_set_writer.h"
#include "core/io/png_metadata.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;
using evlf::io::ImageProvenance;
using evlf::io::ImageSetDescription;
using evlf::io::ImageSetWriter;

namespace {

const std::vector<std::string> kClassNames = {"T-shirt/top", "Trouser", ".hidden", "", "Über/Größe <1>", "a\tb", "CON"};
const std::string kPrompt = "a photo of a Größe-Mantel — 外套 🧥";

/// Builds a grey 8x8 image whose pixels encode (class, slot).
torch::Tensor test_image(int64_t class_index, int64_t slot) {
  return torch::full({1, 8, 8}, static_cast<int>(class_index * 20 + slot), torch::kUInt8);
}

ImageSetDescription description() {
  ImageSetDescription d;
  d.class_names = kClassNames;
  d.parameters = {{"ipc", 2}, {"guidance", 4.0}, {"prompt_template", "a photo of a {class}"}};
  d.bundle = {{"name", "test bundle"}};
  d.seeds = {{"noise", 17}};
  return d;
}

/// Writes a complete set (2 images per class) with the given pipeline name.
void write_set(const fs::path& target, const std::string& pipeline) {
  ImageSetWriter writer(target, description());
  for (int64_t c = 0; c < static_cast<int64_t>(kClassNames.size()); ++c) {
    for (int64_t slot = 0; slot < 2; ++slot) {
      ImageProvenance p{c, slot, pipeline, "kmeans centre " + std::to_string(slot), {{"prompt", kPrompt}}};
      writer.add(test_image(c, slot), p);
    }
  }
  writer.commit();
}

/// Entries of `folder` other than `keep`; temporary siblings would show up here.
std::vector<std::string> entries_except(const fs::path& folder, const std::string& keep) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename() != keep) names.push_back(entry.path().filename().string());
  }
  return names;
}

}  // namespace

class TestImageSetWriter : public QObject {
  Q_OBJECT

 private:
  fs::path m_root;

 private Q_SLOTS:
  void init() { m_root = evlf::test::make_temp_dir("evlf-image-set"); }
  void cleanup() { fs::remove_all(m_root); }

  void pngTextRoundTrip() {
    const evlf::io::PngText text = {{"prompt", kPrompt}, {"Comment", "plain ASCII"}, {"empty", ""}};
    const fs::path file = m_root / "x.png";
    evlf::io::write_png(file, torch::rand({3, 5, 7}), text);
    QCOMPARE(evlf::io::read_png_text(file), text);

    // The pixels still decode.
    const auto set_image = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
    QCOMPARE(set_image.cols, 7);
    QCOMPARE(set_image.rows, 5);
  }

  void pngCorruptionDetected() {
    std::vector<uint8_t> png = evlf::io::add_png_text(evlf::io::encode_png(test_image(1, 1)), {{"k", "value"}});
    const std::string needle = "value";
    const auto at = std::search(png.begin(), png.end(), needle.begin(), needle.end());
    QVERIFY(at != png.end());
    *at = 'V';
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::io::read_png_text(png));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::io::add_png_text(png, {{" bad", "x"}}));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::io::add_png_text(png, {{"k", std::string("\xff\xfe")}}));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::io::read_png_text(std::vector<uint8_t>{1, 2, 3}));
  }

  void utf8Validation() {
    QVERIFY(evlf::io::is_valid_utf8(kPrompt));
    QVERIFY(!evlf::io::is_valid_utf8(std::string("\xc3")));          // truncated
    QVERIFY(!evlf::io::is_valid_utf8(std::string("\xc0\xaf")));      // overlong
    QVERIFY(!evlf::io::is_valid_utf8(std::string("\xed\xa0\x80")));  // surrogate
  }

  void safeFileNames() {
    using evlf::io::safe_file_name;
    QCOMPARE(safe_file_name("T-shirt/top"), std::string("T-shirt_top"));
    QCOMPARE(safe_file_name("Ankle boot"), std::string("Ankle boot"));
    QCOMPARE(safe_file_name(".hidden"), std::string("hidden"));
    QCOMPARE(safe_file_name(".."), std::string("unnamed"));
    QCOMPARE(safe_file_name(""), std::string("unnamed"));
    QCOMPARE(safe_file_name("a:b*c?\"<>|\\d"), std::string("a_b_c______d"));
    QCOMPARE(safe_file_name("tab\there\n"), std::string("tab_here_"));
    QCOMPARE(safe_file_name("name. "), std::string("name"));
    QCOMPARE(safe_file_name("con"), std::string("con_"));
    QCOMPARE(safe_file_name("LPT1.txt"), std::string("LPT1.txt_"));
    QCOMPARE(safe_file_name("Größe"), std::string("Größe"));
    const std::string long_name(60, 'x');
    const std::string truncated = safe_file_name(long_name + std::string(30, '\xc3') + "ü" + long_name);
    QVERIFY(truncated.size() <= 100);
  }

  void folderNamesKeepOrderAndAreUnique() {
    std::vector<std::string> names;
    for (int i = 0; i < 12; ++i) names.push_back(i % 2 ? "same/name" : "b");
    const auto folders = evlf::io::class_folder_names(names);
    QCOMPARE(folders[0], std::string("00_b"));
    QCOMPARE(folders[11], std::string("11_same_name"));
    QVERIFY(std::is_sorted(folders.begin(), folders.end()));
    QCOMPARE(std::set<std::string>(folders.begin(), folders.end()).size(), folders.size());
    std::vector<std::string> many(101, "c");
    QCOMPARE(evlf::io::class_folder_names(many)[100], std::string("100_c"));
    QCOMPARE(evlf::io::class_folder_names(many)[7], std::string("007_c"));
  }

  void writesManifestAndImages() {
    const fs::path target = m_root / "set";
    write_set(target, "early");

    const auto manifest = evlf::io::read_image_set_manifest(target);
    QCOMPARE(manifest["classes"].size(), kClassNames.size());
    for (std::size_t i = 0; i < kClassNames.size(); ++i) {
      QCOMPARE(manifest["classes"][i]["name"].get<std::string>(), kClassNames[i]);
    }
    QCOMPARE(manifest["classes"][0]["folder"].get<std::string>(), std::string("00_T-shirt_top"));
    QCOMPARE(manifest["classes"][4]["folder"].get<std::string>(), std::string("04_Über_Größe _1_"));
    QCOMPARE(manifest["parameters"]["guidance"].get<double>(), 4.0);
    QCOMPARE(manifest["seeds"]["noise"].get<int>(), 17);
    QVERIFY(manifest["software"]["libtorch"].is_string());
    QCOMPARE(manifest["images"].size(), kClassNames.size() * 2);

    const auto& first = manifest["images"][1];
    QCOMPARE(first["file"].get<std::string>(), std::string("00_T-shirt_top/0001_early.png"));
    QCOMPARE(first["class_name"].get<std::string>(), std::string("T-shirt/top"));
    QCOMPARE(first["slot"].get<int>(), 1);
    QCOMPARE(first["pipeline"].get<std::string>(), std::string("early"));
    QCOMPARE(first["mode"].get<std::string>(), std::string("kmeans centre 1"));
    QCOMPARE(first["extra"]["prompt"].get<std::string>(), kPrompt);

    // PNG text carries the same provenance, Unicode intact.
    const auto text = evlf::io::read_png_text(target / "04_Über_Größe _1_" / "0000_early.png");
    const auto value_of = [&](const std::string& key) {
      for (const auto& [k, v] : text) {
        if (k == key) return v;
      }
      return std::string("<missing>");
    };
    QCOMPARE(value_of("evlf:class"), std::string("Über/Größe <1>"));
    QCOMPARE(value_of("evlf:class_index"), std::string("4"));
    QCOMPARE(value_of("evlf:prompt"), kPrompt);
    QCOMPARE(value_of("evlf:pipeline"), std::string("early"));

    QCOMPARE(entries_except(m_root, "set"), std::vector<std::string>{});
  }

  void readsBackAsImageFolder() {
    const fs::path target = m_root / "set";
    write_set(target, "late");
    const auto set = evlf::data::read_image_folder(target);
    QCOMPARE(set.class_names.size(), kClassNames.size());
    QCOMPARE(set.class_names[0], std::string("00_T-shirt_top"));
    QCOMPARE(set.images.size(0), int64_t(kClassNames.size() * 2));
    QVERIFY(set.skipped.empty());
    for (int64_t i = 0; i < set.images.size(0); ++i) {
      const int64_t c = i / 2, slot = i % 2;
      QCOMPARE(set.labels[i].item<int64_t>(), c);
      QCOMPARE(set.images[i][0][3][3].item<int>(), static_cast<int>(c * 20 + slot));
    }
  }

  void cancelLeavesNoOutput() {
    const fs::path target = m_root / "set";
    evlf::JobControl control;
    {
      ImageSetWriter writer(target, description(), control);
      writer.add(test_image(0, 0), {0, 0, "early", "", {}});
      writer.add(test_image(0, 1), {0, 1, "early", "", {}});
      QVERIFY(fs::exists(writer.temporary_folder()));
      control.cancel.cancel();
      QVERIFY_THROWS_EXCEPTION(evlf::CancelledError, writer.add(test_image(1, 0), {1, 0, "early", "", {}}));
    }
    QVERIFY(!fs::exists(target));
    QCOMPARE(entries_except(m_root, ""), std::vector<std::string>{});
  }

  void failedRunKeepsPreviousSet() {
    const fs::path target = m_root / "set";
    write_set(target, "late");
    const std::string before = evlf::io::read_image_set_manifest(target).dump();

    try {
      ImageSetWriter writer(target, description());
      writer.add(test_image(0, 0), {0, 0, "early", "", {}});
      throw std::runtime_error("simulated failure mid-way");
    } catch (const std::runtime_error&) {
    }
    QCOMPARE(evlf::io::read_image_set_manifest(target).dump(), before);
    QVERIFY(fs::exists(target / "00_T-shirt_top" / "0000_late.png"));
    QVERIFY(!fs::exists(target / "00_T-shirt_top" / "0000_early.png"));
    QCOMPARE(entries_except(m_root, "set"), std::vector<std::string>{});

    // A cancel that arrives just before commit also keeps the earlier set.
    evlf::JobControl control;
    {
      ImageSetWriter writer(target, description(), control);
      writer.add(test_image(0, 0), {0, 0, "early", "", {}});
      control.cancel.cancel();
      QVERIFY_THROWS_EXCEPTION(evlf::CancelledError, writer.commit());
    }
    QCOMPARE(evlf::io::read_image_set_manifest(target).dump(), before);
    QCOMPARE(entries_except(m_root, "set"), std::vector<std::string>{});
  }

  void commitReplacesPreviousSet() {
    const fs::path target = m_root / "set";
    write_set(target, "late");
    write_set(target, "early");
    QVERIFY(fs::exists(target / "00_T-shirt_top" / "0000_early.png"));
    QVERIFY(!fs::exists(target / "00_T-shirt_top" / "0000_late.png"));
    QCOMPARE(entries_except(m_root, "set"), std::vector<std::string>{});
  }

  void unrelatedFolderNotReplaced() {
    const fs::path target = m_root / "documents";
    fs::create_directories(target);
    std::ofstream(target / "thesis.tex") << "keep me";
    QVERIFY_THROWS_EXCEPTION(evlf::Error, ImageSetWriter(target, description()));
    QVERIFY(fs::exists(target / "thesis.tex"));
  }

  void duplicateSlotRejected() {
    ImageSetWriter writer(m_root / "set", description());
    writer.add(test_image(0, 0), {0, 0, "early", "", {}});
    QVERIFY_THROWS_EXCEPTION(evlf::Error, writer.add(test_image(0, 0), {0, 0, "early", "", {}}));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, writer.add(test_image(0, 0), {99, 0, "early", "", {}}));
  }
};

QTEST_GUILESS_MAIN(TestImageSetWriter)
#include "test_image_set_writer.moc"
