// CLIP's byte-level BPE tokenizer (OpenAI CLIP, clip/simple_tokenizer.py),
// reading Hugging Face `vocab.json` + `merges.txt` or OpenAI's
// `bpe_simple_vocab_16e6.txt.gz`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/types.h>

namespace evlf::models {

/// Cleans text as CLIP does before tokenising: Unicode NFC, HTML entities
/// unescaped twice, whitespace runs collapsed to one space, ends stripped,
/// lower-cased. Input and output are UTF-8; invalid UTF-8 bytes become U+FFFD.
/// NOTE: CLIP first runs ftfy.fix_text, which also repairs mojibake, widens
/// or narrows characters and uncurls quotes; only its NFC step is done here.
std::string clip_clean_text(const std::string& text);

/// Splits cleaned text with CLIP's pattern: the two special tokens, the
/// contractions 's 't 're 've 'm 'll 'd, runs of letters (\p{L}), single
/// numbers (\p{N}), and runs of other non-space characters.
std::vector<std::string> clip_pre_tokenize(const std::string& cleaned);

/// The 256 byte symbols of GPT-2's bytes_to_unicode, in CLIP's vocabulary
/// order (printable bytes first), each as a UTF-8 string.
const std::vector<std::string>& clip_byte_symbols_in_vocab_order();

/// The byte symbols for the UTF-8 bytes of `token`, one string per byte.
std::vector<std::string> clip_token_to_symbols(const std::string& token);

/// Suffix that marks the last symbol of a word.
inline const std::string kEndOfWord = "</w>";
inline const std::string kStartOfTextToken = "<|startoftext|>";
inline const std::string kEndOfTextToken = "<|endoftext|>";

/// Padding id written after end-of-text in a row.
enum class ClipPadding {
  Zero,       // id 0, as OpenAI CLIP pads
  EndOfText,  // the end-of-text id, as the Stable Diffusion tokenizers pad
};

/// \brief Tokenizer settings; defaults as OpenAI CLIP.
struct ClipTokenizerOptions {
  int64_t context_length = 77;          // ids per row, start and end tokens included
  ClipPadding padding = ClipPadding::Zero;
  bool truncate = true;                 // cut long text (end-of-text kept last); false raises evlf::Error
  /// Merges read from OpenAI's file, which contains more than CLIP uses.
  /// CLIP keeps the first 49152 - 256 - 2. Used by the .txt.gz reader only.
  int64_t gz_merge_count = 49152 - 256 - 2;

  std::string to_string() const;
};

/// \brief Padded ids and attention mask for a batch of texts.
struct TokenizedBatch {
  torch::Tensor ids;             // [B, context_length] int64
  torch::Tensor attention_mask;  // [B, context_length] int64, 1 for start, BPE and end tokens
};

/// \brief CLIP BPE tokenizer with a per-word cache.
///
/// Thread-safe: the word cache is guarded by a mutex.
class ClipTokenizer {
 public:
  /// Reads a Hugging Face tokenizer folder's `vocab.json` and `merges.txt`.
  /// Throws evlf::Error naming the file, and the line or key, for malformed
  /// files, merges whose parts or result are missing from the vocabulary,
  /// and vocabularies without the byte symbols or the two special tokens.
  static ClipTokenizer from_hf_files(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
                                     const ClipTokenizerOptions& options = {});
  /// Reads OpenAI's `bpe_simple_vocab_16e6.txt.gz` (header line, then merges)
  /// and builds the vocabulary as CLIP does: byte symbols, their end-of-word
  /// variants, the merges, then the two special tokens.
  static ClipTokenizer from_openai_bpe(const std::filesystem::path& bpe_gz, const ClipTokenizerOptions& options = {});
  /// Builds a tokenizer from a vocabulary and ranked merges; `origin` names
  /// the source in error messages.
  static ClipTokenizer from_vocab_and_merges(std::map<std::string, int64_t> vocab,
                                             std::vector<std::pair<std::string, std::string>> merges,
                                             const ClipTokenizerOptions& options, const std::string& origin);

  ClipTokenizer(const ClipTokenizer& other);
  ClipTokenizer& operator=(const ClipTokenizer& other) = delete;

  /// BPE ids of `text` after cleaning, without special tokens or truncation.
  std::vector<int64_t> encode_words(const std::string& text) const;
  /// Start-of-text, BPE ids, end-of-text; cut to context_length with
  /// end-of-text last when longer. Not padded.
  std::vector<int64_t> encode(const std::string& text) const;
  /// Padded rows and attention masks for `texts`.
  TokenizedBatch tokenize(const std::vector<std::string>& texts) const;
  /// Text for `ids`: start-of-text dropped, everything from the first
  /// end-of-text on (padding) dropped, end-of-word marks turned into spaces,
  /// bytes decoded. Throws evlf::Error for an id outside the vocabulary.
  std::string decode(const std::vector<int64_t>& ids) const;

  int64_t start_of_text() const { return start_of_text_; }
  int64_t end_of_text() const { return end_of_text_; }
  int64_t pad_id() const;
  int64_t vocab_size() const { return static_cast<int64_t>(id_to_token_.size()); }
  std::size_t merge_count() const { return merge_ranks_.size(); }
  const ClipTokenizerOptions& options() const { return options_; }

 private:
  ClipTokenizer() = default;
  /// BPE symbols of one pre-token, the last one ending in "</w>".
  std::vector<std::string> bpe(const std::string& token) const;

  ClipTokenizerOptions options_;
  std::unordered_map<std::string, int64_t> token_to_id_;
  std::unordered_map<int64_t, std::string> id_to_token_;
  std::unordered_map<std::string, int64_t> merge_ranks_;  // "left right" -> rank
  int64_t start_of_text_ = 0;
  int64_t end_of_text_ = 0;

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int64_t>> cache_;  // pre-token -> ids
};

}  // namespace evlf::models
