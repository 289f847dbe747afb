// Learns CLIP-style byte-level BPE merges from a text corpus and writes them
// as Hugging Face `vocab.json` + `merges.txt`, readable by ClipTokenizer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/runtime/progress.h"

namespace evlf::models {

/// \brief Settings of the BPE trainer.
struct BpeTrainerOptions {
  /// Target vocabulary size: 512 byte symbols (with and without "</w>"),
  /// one token per merge and the two special tokens; at least 514.
  int64_t vocab_size = 1024;
  /// Pairs seen fewer times than this are never merged, so training may
  /// stop below vocab_size on a small corpus.
  int64_t min_frequency = 2;

  std::string to_string() const;
};

/// \brief A learned vocabulary: tokens in id order and merges in rank order.
struct BpeVocabulary {
  std::vector<std::string> tokens;                            // id -> token
  std::vector<std::pair<std::string, std::string>> merges;  // rank -> (left, right)
};

/// Learns merges from `texts`, cleaned and pre-tokenised as ClipTokenizer
/// does, by repeatedly merging the most frequent adjacent pair (ties go to
/// the pair that sorts first). Token order follows CLIP: byte symbols, their
/// end-of-word variants, merged tokens, <|startoftext|>, <|endoftext|>.
/// Reports progress per merge through `job` and stops when it is cancelled.
BpeVocabulary train_bpe(const std::vector<std::string>& texts, const BpeTrainerOptions& options,
                        const JobControl& job = {});

/// Writes `vocab.json` (token -> id) and `merges.txt` (a "#version: 0.2"
/// line, then one "left right" merge per line) into `folder`, creating it.
void write_hf_tokenizer_files(const std::filesystem::path& folder, const BpeVocabulary& vocabulary);

}  // namespace evlf::models
