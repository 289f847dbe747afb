// CLIP tokenizer against OpenAI's CLIP tokenizer output, error messages for
// malformed Hugging Face files, and round trips through the BPE trainer.
#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/models/bpe_trainer.h"
#include "core/models/clip_tokenizer.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

using evlf::models::ClipPadding;
using evlf::models::ClipTokenizer;
using evlf::models::ClipTokenizerOptions;
namespace fs = std::filesystem;

namespace {

const char* const kCases = "clip_tokenizer_cases.json";
const char* const kMerges = "bpe_simple_vocab_16e6.txt.gz";

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Returns the message of the evlf::Error raised by `load`, or "" when none.
template <typename Load>
std::string error_of(Load load) {
  try {
    load();
  } catch (const evlf::Error& error) {
    return error.what();
  }
  return "";
}

/// A corpus of prompts in which a few words repeat often.
std::vector<std::string> training_corpus() {
  const std::vector<std::string> classes{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  const std::vector<std::string> templates{"a photo of a {}", "a blurry photo of the {}", "a sketch of a {}.",
                                           "there is a {} here", "café photo: the {} &amp; more"};
  std::vector<std::string> corpus;
  for (const auto& pattern : templates) {
    for (const auto& name : classes) {
      std::string text = pattern;
      text.replace(text.find("{}"), 2, name);
      corpus.push_back(text);
    }
  }
  return corpus;
}

}  // namespace

class TestReferenceTokenizer : public QObject {
  Q_OBJECT

 private:
  fs::path m_dir;
  std::optional<ClipTokenizer> m_openai;
  nlohmann::json m_cases;

  /// A valid minimal vocabulary: byte symbols, end-of-word variants, the
  /// merged tokens of `merges`, then the special tokens.
  nlohmann::ordered_json minimal_vocab(const std::vector<std::string>& merged) {
    nlohmann::ordered_json vocab;
    int64_t id = 0;
    for (const auto& symbol : evlf::models::clip_byte_symbols_in_vocab_order()) vocab[symbol] = id++;
    for (const auto& symbol : evlf::models::clip_byte_symbols_in_vocab_order()) vocab[symbol + "</w>"] = id++;
    for (const auto& token : merged) vocab[token] = id++;
    vocab["<|startoftext|>"] = id++;
    vocab["<|endoftext|>"] = id++;
    return vocab;
  }

  std::string load_error(const std::string& vocab_text, const std::string& merges_text) {
    write_text(m_dir / "vocab.json", vocab_text);
    write_text(m_dir / "merges.txt", merges_text);
    return error_of([&] { ClipTokenizer::from_hf_files(m_dir / "vocab.json", m_dir / "merges.txt"); });
  }

 private Q_SLOTS:
  void initTestCase() {
    m_dir = evlf::test::make_temp_dir("evlf-tokenizer");
    const auto cases = evlf::test::reference_file(kCases);
    const auto merges = evlf::test::reference_file(kMerges);
    if (cases && merges) {
      m_cases = nlohmann::json::parse(std::ifstream(*cases));
      ClipTokenizerOptions options;
      options.context_length = m_cases.at("context_length").get<int64_t>();
      m_openai.emplace(ClipTokenizer::from_openai_bpe(*merges, options));
    }
  }
  void cleanupTestCase() { fs::remove_all(m_dir); }

  void openaiVocabularyLayout() {
    if (!m_openai) QSKIP(evlf::test::missing_reference_message(kMerges).c_str());
    QCOMPARE(m_openai->start_of_text(), m_cases.at("start_of_text").get<int64_t>());
    QCOMPARE(m_openai->end_of_text(), m_cases.at("end_of_text").get<int64_t>());
    QCOMPARE(m_openai->vocab_size(), m_openai->end_of_text() + 1);
  }

  void referenceCases() {
    if (!m_openai) QSKIP(evlf::test::missing_reference_message(kCases).c_str());
    for (const auto& item : m_cases.at("cases")) {
      const std::string text = item.at("text").get<std::string>();
      const std::vector<int64_t> expected = item.at("ids").get<std::vector<int64_t>>();
      const std::vector<int64_t> actual = m_openai->encode(text);
      QVERIFY2(actual == expected, ("ids differ for '" + text + "': got " + nlohmann::json(actual).dump() +
                                    ", expected " + nlohmann::json(expected).dump())
                                       .c_str());
    }
  }

  void paddingAndMask() {
    if (!m_openai) QSKIP(evlf::test::missing_reference_message(kMerges).c_str());
    const auto& first = m_cases.at("cases").at(0);
    const std::vector<int64_t> expected = first.at("ids").get<std::vector<int64_t>>();
    const int64_t length = static_cast<int64_t>(expected.size());
    const int64_t context = m_openai->options().context_length;

    for (ClipPadding padding : {ClipPadding::Zero, ClipPadding::EndOfText}) {
      ClipTokenizerOptions options = m_openai->options();
      options.padding = padding;
      const ClipTokenizer tokenizer = ClipTokenizer::from_openai_bpe(*evlf::test::reference_file(kMerges), options);
      const auto batch = tokenizer.tokenize({first.at("text").get<std::string>(), ""});
      QCOMPARE(batch.ids.sizes().vec(), (std::vector<int64_t>{2, context}));
      const int64_t pad = padding == ClipPadding::Zero ? 0 : tokenizer.end_of_text();
      QCOMPARE(batch.ids[0][length - 1].item<int64_t>(), tokenizer.end_of_text());
      QCOMPARE(batch.ids[0][length].item<int64_t>(), pad);
      QCOMPARE(batch.ids[0][context - 1].item<int64_t>(), pad);
      QCOMPARE(batch.attention_mask[0].sum().item<int64_t>(), length);
      QCOMPARE(batch.attention_mask[0][length - 1].item<int64_t>(), int64_t(1));
      QCOMPARE(batch.attention_mask[0][length].item<int64_t>(), int64_t(0));
      QCOMPARE(batch.attention_mask[1].sum().item<int64_t>(), int64_t(2));
    }
  }

  void truncationKeepsEndOfText() {
    if (!m_openai) QSKIP(evlf::test::missing_reference_message(kMerges).c_str());
    std::string long_text;
    for (int i = 0; i < 200; ++i) long_text += "photo ";
    const std::vector<int64_t> ids = m_openai->encode(long_text);
    QCOMPARE(static_cast<int64_t>(ids.size()), m_openai->options().context_length);
    QCOMPARE(ids.back(), m_openai->end_of_text());

    ClipTokenizerOptions strict = m_openai->options();
    strict.truncate = false;
    const ClipTokenizer tokenizer = ClipTokenizer::from_openai_bpe(*evlf::test::reference_file(kMerges), strict);
    const std::string message = error_of([&] { tokenizer.encode(long_text); });
    QVERIFY2(message.find("context") != std::string::npos, message.c_str());
  }

  void decodeReturnsWords() {
    if (!m_openai) QSKIP(evlf::test::missing_reference_message(kMerges).c_str());
    QCOMPARE(m_openai->decode(m_openai->encode("A photo of a Sneaker!")), std::string("a photo of a sneaker !"));
    QCOMPARE(m_openai->decode(m_openai->encode("café")), std::string("café"));
  }

  void cleaningSteps() {
    QCOMPARE(evlf::models::clip_clean_text("  A\tB\n\nC  "), std::string("a b c"));
    QCOMPARE(evlf::models::clip_clean_text("&amp;amp; &#65;&#x42; &eacute;"), std::string("& ab é"));
    QCOMPARE(evlf::models::clip_clean_text("&unknownname; &#;"), std::string("&unknownname; &#;"));
    QCOMPARE(evlf::models::clip_clean_text("ÉCOLE"), std::string("école"));
    // "e" followed by a combining acute accent composes to one code point.
    QCOMPARE(evlf::models::clip_clean_text("e\xcc\x81"), std::string("\xc3\xa9"));
    const std::vector<std::string> tokens = evlf::models::clip_pre_tokenize("it's 42 <|endoftext|> ok!?");
    const std::vector<std::string> expected{"it", "'s", "4", "2", "<|endoftext|>", "ok", "!?"};
    QCOMPARE(tokens, expected);
  }

  void malformedVocabJson() {
    const std::string merges = "#version: 0.2\n";
    std::string message = load_error("{\"a\": 1,", merges);
    QVERIFY2(message.find("vocab.json") != std::string::npos && message.find("not valid JSON") != std::string::npos,
             message.c_str());

    message = load_error("[1, 2, 3]", merges);
    QVERIFY2(message.find("must be a JSON object") != std::string::npos, message.c_str());

    nlohmann::ordered_json vocab = minimal_vocab({});
    vocab["x"] = "seven";
    message = load_error(vocab.dump(), merges);
    QVERIFY2(message.find("token 'x'") != std::string::npos && message.find("non-negative integer") != std::string::npos,
             message.c_str());

    vocab = minimal_vocab({});
    vocab.erase("<|endoftext|>");
    message = load_error(vocab.dump(), merges);
    QVERIFY2(message.find("<|endoftext|>") != std::string::npos, message.c_str());

    vocab = minimal_vocab({});
    vocab.erase("a");
    message = load_error(vocab.dump(), merges);
    QVERIFY2(message.find("lacks 'a'") != std::string::npos, message.c_str());

    vocab = minimal_vocab({});
    vocab["b"] = vocab["a"];
    message = load_error(vocab.dump(), merges);
    QVERIFY2(message.find("share id") != std::string::npos, message.c_str());

    message = load_error(minimal_vocab({}).dump(), merges);
    QVERIFY2(message.empty(), message.c_str());
  }

  void malformedMergesTxt() {
    const std::string vocab = minimal_vocab({"ab", "ab</w>"}).dump();
    std::string message = load_error(vocab, "#version: 0.2\na b\nabc\n");
    QVERIFY2(message.find("merges.txt") != std::string::npos && message.find("line 3") != std::string::npos &&
                 message.find("'abc'") != std::string::npos,
             message.c_str());

    message = load_error(vocab, "#version: 0.2\na b c\n");
    QVERIFY2(message.find("line 2") != std::string::npos, message.c_str());

    message = load_error(vocab, "#version: 0.2\na b\nx y\n");
    QVERIFY2(message.find("merge 2 'x y'") != std::string::npos && message.find("'xy'") != std::string::npos,
             message.c_str());

    message = load_error(vocab, "#version: 0.2\na b\na b</w>\n");
    QVERIFY2(message.empty(), message.c_str());
    const ClipTokenizer tokenizer = ClipTokenizer::from_hf_files(m_dir / "vocab.json", m_dir / "merges.txt");
    QCOMPARE(tokenizer.merge_count(), std::size_t(2));
    const std::vector<int64_t> ids = tokenizer.encode_words("ab cab");
    const std::vector<int64_t> expected{513, 'c' - '!', 513};  // ab</w>, c, ab</w>
    QCOMPARE(ids, expected);
  }

  void trainerRoundTrip() {
    evlf::models::BpeTrainerOptions options;
    options.vocab_size = 600;
    const std::vector<std::string> corpus = training_corpus();
    const evlf::models::BpeVocabulary vocabulary = evlf::models::train_bpe(corpus, options);
    QVERIFY(vocabulary.merges.size() > 20);
    QVERIFY(static_cast<int64_t>(vocabulary.tokens.size()) <= options.vocab_size);

    const fs::path folder = m_dir / "trained";
    evlf::models::write_hf_tokenizer_files(folder, vocabulary);
    std::ifstream merges_file(folder / "merges.txt");
    std::string header;
    std::getline(merges_file, header);
    QCOMPARE(header, std::string("#version: 0.2"));

    const ClipTokenizer tokenizer = ClipTokenizer::from_hf_files(folder / "vocab.json", folder / "merges.txt");
    QCOMPARE(tokenizer.vocab_size(), static_cast<int64_t>(vocabulary.tokens.size()));
    QCOMPARE(tokenizer.merge_count(), vocabulary.merges.size());
    QCOMPARE(tokenizer.end_of_text(), tokenizer.vocab_size() - 1);

    // Frequent words become single tokens; every text decodes to its words.
    QCOMPARE(tokenizer.encode_words("photo").size(), std::size_t(1));
    QCOMPARE(tokenizer.encode_words("sneaker").size(), std::size_t(1));
    for (const std::string& text : corpus) {
      std::string words;
      for (const auto& token : evlf::models::clip_pre_tokenize(evlf::models::clip_clean_text(text))) {
        words += (words.empty() ? "" : " ") + token;
      }
      QCOMPARE(tokenizer.decode(tokenizer.encode(text)), words);
    }
    // Text with unseen characters still encodes through byte symbols.
    QCOMPARE(tokenizer.decode(tokenizer.encode("日本 zebra")), std::string("日本 zebra"));
  }

  void trainerRejectsSmallVocabulary() {
    evlf::models::BpeTrainerOptions options;
    options.vocab_size = 100;
    const std::string message = error_of([&] { evlf::models::train_bpe({"a b"}, options); });
    QVERIFY2(message.find("vocab_size 100") != std::string::npos, message.c_str());
  }
};

QTEST_GUILESS_MAIN(TestReferenceTokenizer)
#include "test_reference_tokenizer.moc"
