#include "core/models/bpe_trainer.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/io/atomic_file.h"
#include "core/models/clip_tokenizer.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::models {

namespace {

// 256 byte symbols, the same with "</w>", and the two special tokens.
constexpr int64_t kBaseTokens = 2 * 256;
constexpr int64_t kSpecialTokens = 2;

using Word = std::vector<std::string>;
using Pair = std::pair<std::string, std::string>;

/// Counts every adjacent pair over all words, weighted by word frequency.
std::map<Pair, int64_t> count_pairs(const std::map<Word, int64_t>& words) {
  std::map<Pair, int64_t> counts;
  for (const auto& [word, frequency] : words) {
    for (std::size_t i = 0; i + 1 < word.size(); ++i) counts[{word[i], word[i + 1]}] += frequency;
  }
  return counts;
}

Word merge_pair(const Word& word, const Pair& pair) {
  Word merged;
  for (std::size_t i = 0; i < word.size();) {
    if (i + 1 < word.size() && word[i] == pair.first && word[i + 1] == pair.second) {
      merged.push_back(pair.first + pair.second);
      i += 2;
    } else {
      merged.push_back(word[i++]);
    }
  }
  return merged;
}

}  // namespace

std::string BpeTrainerOptions::to_string() const {
  return nlohmann::json{{"vocab_size", vocab_size}, {"min_frequency", min_frequency}}.dump();
}

BpeVocabulary train_bpe(const std::vector<std::string>& texts, const BpeTrainerOptions& options,
                        const JobControl& job) {
  if (options.vocab_size < kBaseTokens + kSpecialTokens) {
    throw Error("BPE trainer: vocab_size " + std::to_string(options.vocab_size) + " is below the " +
                std::to_string(kBaseTokens + kSpecialTokens) + " byte and special tokens; raise it");
  }
  if (options.min_frequency < 1) {
    throw Error("BPE trainer: min_frequency must be at least 1, got " + std::to_string(options.min_frequency));
  }

  // Word frequencies, each word as byte symbols with "</w>" on the last.
  std::map<Word, int64_t> words;
  for (const std::string& text : texts) {
    for (const std::string& token : clip_pre_tokenize(clip_clean_text(text))) {
      if (token == kStartOfTextToken || token == kEndOfTextToken) continue;
      Word word = clip_token_to_symbols(token);
      word.back() += kEndOfWord;
      ++words[word];
    }
  }

  BpeVocabulary vocabulary;
  vocabulary.tokens = clip_byte_symbols_in_vocab_order();
  for (std::size_t b = 0; b < 256; ++b) vocabulary.tokens.push_back(vocabulary.tokens[b] + kEndOfWord);
  std::set<std::string> known(vocabulary.tokens.begin(), vocabulary.tokens.end());

  const int64_t target_merges = options.vocab_size - kBaseTokens - kSpecialTokens;
  while (static_cast<int64_t>(vocabulary.merges.size()) < target_merges) {
    job.throw_if_cancelled();
    const std::map<Pair, int64_t> counts = count_pairs(words);
    // std::map iterates pairs in sorted order, so max_element keeps the
    // first of equally frequent pairs.
    const auto best = std::max_element(counts.begin(), counts.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    if (best == counts.end() || best->second < options.min_frequency) break;

    const Pair pair = best->first;
    std::map<Word, int64_t> merged_words;
    for (const auto& [word, frequency] : words) merged_words[merge_pair(word, pair)] += frequency;
    words = std::move(merged_words);

    vocabulary.merges.push_back(pair);
    const std::string token = pair.first + pair.second;
    if (known.insert(token).second) vocabulary.tokens.push_back(token);
    job.report(ProgressEvent{"train BPE", static_cast<int64_t>(vocabulary.merges.size()), target_merges,
                             {{"pair_count", static_cast<double>(best->second)}}, ""});
  }
  vocabulary.tokens.push_back(kStartOfTextToken);
  vocabulary.tokens.push_back(kEndOfTextToken);

  logger()->info("BPE trainer: {} words, {} merges, {} tokens ({})", words.size(), vocabulary.merges.size(),
                 vocabulary.tokens.size(), options.to_string());
  return vocabulary;
}

void write_hf_tokenizer_files(const std::filesystem::path& folder, const BpeVocabulary& vocabulary) {
  std::filesystem::create_directories(folder);

  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (std::size_t id = 0; id < vocabulary.tokens.size(); ++id) vocab[vocabulary.tokens[id]] = id;
  io::write_text_atomically(folder / "vocab.json", vocab.dump());

  std::string merges = "#version: 0.2\n";
  for (const auto& [left, right] : vocabulary.merges) merges += left + " " + right + "\n";
  io::write_text_atomically(folder / "merges.txt", merges);
}

}  // namespace evlf::models
