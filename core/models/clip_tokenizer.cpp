#include "core/models/clip_tokenizer.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <zlib.h>

#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::models {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// ---------------------------------------------------------------------------
// UTF-8 and UTF-16 conversion

std::u32string utf8_to_u32(const std::string& text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int length = 0;
    char32_t code = 0;
    if (lead < 0x80) {
      length = 1, code = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07;
    }
    bool valid = length > 0 && i + length <= text.size();
    for (int k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3F);
    }
    static const char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    valid = valid && code >= kMinimum[length] && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
    out.push_back(valid ? code : kReplacement);
    i += valid ? length : 1;
  }
  return out;
}

void append_utf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

std::string u32_to_utf8(const std::u32string& text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t code : text) append_utf8(out, code);
  return out;
}

std::u16string u32_to_u16(const std::u32string& text) {
  std::u16string out;
  for (char32_t code : text) {
    if (code >= 0x10000) {
      code -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (code >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (code & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(code));
    }
  }
  return out;
}

std::u32string u16_to_u32(const std::u16string& text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char32_t code = text[i];
    if (code >= 0xD800 && code <= 0xDBFF && i + 1 < text.size() && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF) {
      code = 0x10000 + ((code - 0xD800) << 10) + (text[i + 1] - 0xDC00);
      ++i;
    }
    out.push_back(code);
  }
  return out;
}

void check_icu(UErrorCode status, const char* step) {
  if (U_FAILURE(status)) throw Error(std::string("ICU ") + step + " failed: " + u_errorName(status));
}

/// Runs an ICU function of the form f(dest, capacity, src, length, &status),
/// growing the buffer once when the first call reports overflow.
template <typename Function>
std::u16string icu_transform(const std::u16string& input, Function function, const char* step) {
  std::u16string output(input.size() * 2 + 16, u'\0');
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = function(reinterpret_cast<UChar*>(output.data()), static_cast<int32_t>(output.size()),
                            reinterpret_cast<const UChar*>(input.data()), static_cast<int32_t>(input.size()),
                            &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    output.assign(static_cast<std::size_t>(length), u'\0');
    status = U_ZERO_ERROR;
    length = function(reinterpret_cast<UChar*>(output.data()), static_cast<int32_t>(output.size()),
                      reinterpret_cast<const UChar*>(input.data()), static_cast<int32_t>(input.size()), &status);
  }
  check_icu(status, step);
  output.resize(static_cast<std::size_t>(length));
  return output;
}

std::u32string normalize_nfc(const std::u32string& text) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
  check_icu(status, "NFC lookup");
  auto normalize = [nfc](UChar* dest, int32_t capacity, const UChar* src, int32_t length, UErrorCode* error) {
    return unorm2_normalize(nfc, src, length, dest, capacity, error);
  };
  return u16_to_u32(icu_transform(u32_to_u16(text), normalize, "NFC normalisation"));
}

/// Full Unicode lower-casing (root locale), as Python's str.lower does.
std::u32string to_lower(const std::u32string& text) {
  auto lower = [](UChar* dest, int32_t capacity, const UChar* src, int32_t length, UErrorCode* error) {
    return u_strToLower(dest, capacity, src, length, "", error);
  };
  return u16_to_u32(icu_transform(u32_to_u16(text), lower, "lower-casing"));
}

// ---------------------------------------------------------------------------
// Character classes of CLIP's pattern

bool is_letter(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0; }
bool is_number(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0; }
/// Python's str.isspace: the Unicode White_Space property plus the
/// separators U+001C to U+001F.
bool is_space(char32_t c) { return u_isUWhiteSpace(static_cast<UChar32>(c)) || (c >= 0x1C && c <= 0x1F); }

// ---------------------------------------------------------------------------
// HTML entities, as Python's html.unescape decodes them

/// Latin-1 entity names for U+00A0 to U+00FF, in code point order. HTML5
/// also accepts these without the closing semicolon.
const char* const kLatin1Entities[] = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",    "copy",   "ordf",
    "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn", "sup2",   "sup3",   "acute",  "micro",
    "para",   "middot", "cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave",
    "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",
    "Igrave", "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",
    "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",  "szlig",  "agrave", "aacute",
    "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil", "egrave", "eacute", "ecirc",  "euml",   "igrave",
    "iacute", "icirc",  "iuml",   "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide",
    "oslash", "ugrave", "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};
static_assert(sizeof(kLatin1Entities) / sizeof(kLatin1Entities[0]) == 0x100 - 0xA0);

struct EntityTable {
  std::map<std::u32string, char32_t> with_semicolon;     // "amp;" -> '&'
  std::map<std::u32string, char32_t> without_semicolon;  // legacy names: "amp" -> '&'
};

const EntityTable& entity_table() {
  static const EntityTable table = [] {
    EntityTable t;
    auto add = [&t](const std::string& name, char32_t code, bool legacy) {
      const std::u32string key = utf8_to_u32(name);
      t.with_semicolon[key + U";"] = code;
      if (legacy) t.without_semicolon[key] = code;
    };
    for (char32_t code = 0xA0; code <= 0xFF; ++code) add(kLatin1Entities[code - 0xA0], code, true);
    for (const auto& [name, code] : std::vector<std::pair<std::string, char32_t>>{
             {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"AMP", '&'}, {"LT", '<'}, {"GT", '>'},
             {"QUOT", '"'}, {"COPY", 0xA9}, {"REG", 0xAE}}) {
      add(name, code, true);
    }
    for (const auto& [name, code] : std::vector<std::pair<std::string, char32_t>>{
             {"apos", '\''},    {"ndash", 0x2013}, {"mdash", 0x2014},  {"lsquo", 0x2018}, {"rsquo", 0x2019},
             {"sbquo", 0x201A}, {"ldquo", 0x201C}, {"rdquo", 0x201D},  {"bdquo", 0x201E}, {"dagger", 0x2020},
             {"Dagger", 0x2021}, {"bull", 0x2022}, {"hellip", 0x2026}, {"permil", 0x2030}, {"prime", 0x2032},
             {"Prime", 0x2033}, {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"euro", 0x20AC}, {"trade", 0x2122},
             {"larr", 0x2190},  {"uarr", 0x2191},  {"rarr", 0x2192},   {"darr", 0x2193},  {"harr", 0x2194},
             {"minus", 0x2212}, {"ne", 0x2260},    {"le", 0x2264},     {"ge", 0x2265},    {"infin", 0x221E},
             {"OElig", 0x152},  {"oelig", 0x153},  {"Scaron", 0x160},  {"scaron", 0x161}, {"Yuml", 0x178},
             {"fnof", 0x192},   {"circ", 0x2C6},   {"tilde", 0x2DC},   {"ensp", 0x2002},  {"emsp", 0x2003},
             {"thinsp", 0x2009}, {"zwnj", 0x200C}, {"zwj", 0x200D},    {"lrm", 0x200E},   {"rlm", 0x200F},
             {"hearts", 0x2665}, {"star", 0x2606}, {"check", 0x2713},  {"nbsp", 0xA0}}) {
      add(name, code, false);
    }
    return t;
  }();
  return table;
}

/// Windows-1252 characters that HTML5 substitutes for the references
/// &#x80; to &#x9F;; zero entries keep the C1 control itself.
const char32_t kCp1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                              0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                              0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                              0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

/// Appends the character a numeric reference stands for; some code points
/// are dropped and invalid ones become U+FFFD, as html.unescape does.
void append_numeric_reference(std::u32string& out, uint64_t value) {
  if (value == 0) {
    out.push_back(kReplacement);
  } else if (value == 0x0D) {
    out.push_back(U'\r');
  } else if (value >= 0x80 && value <= 0x9F) {
    out.push_back(kCp1252[value - 0x80]);
  } else if ((value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) {
    out.push_back(kReplacement);
  } else {
    const bool control = (value >= 0x1 && value <= 0x8) || value == 0xB || (value >= 0xE && value <= 0x1F) ||
                         value == 0x7F;
    const bool noncharacter = (value >= 0xFDD0 && value <= 0xFDEF) || (value & 0xFFFE) == 0xFFFE;
    if (!control && !noncharacter) out.push_back(static_cast<char32_t>(value));
  }
}

bool is_hex(char32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/// Decodes HTML character references. Source: Python 3's html.unescape.
/// NOTE: HTML5 defines 2,231 entity names; this table has the Latin-1 set
/// and common punctuation, so rarer names stay as written.
std::u32string html_unescape(const std::u32string& text) {
  const EntityTable& table = entity_table();
  std::u32string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != U'&') {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t j = i + 1;

    if (j < text.size() && text[j] == U'#') {
      const bool hex = j + 1 < text.size() && (text[j + 1] == U'x' || text[j + 1] == U'X');
      std::size_t k = j + (hex ? 2 : 1);
      const std::size_t digits_begin = k;
      uint64_t value = 0;
      while (k < text.size() && (hex ? is_hex(text[k]) : (text[k] >= '0' && text[k] <= '9'))) {
        const char32_t c = text[k++];
        const uint64_t digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        value = std::min<uint64_t>(value * (hex ? 16 : 10) + digit, uint64_t{1} << 40);
      }
      if (k == digits_begin) {
        out.push_back(text[i++]);
        continue;
      }
      if (k < text.size() && text[k] == U';') ++k;
      append_numeric_reference(out, value);
      i = k;
      continue;
    }

    // A name: up to 32 characters other than tab, newline, form feed,
    // space, '<', '&', '#' and ';', then an optional ';'.
    std::size_t k = j;
    while (k < text.size() && k - j < 32 && std::u32string_view(U"\t\n\f <&#;").find(text[k]) == std::u32string_view::npos) {
      ++k;
    }
    if (k == j) {
      out.push_back(text[i++]);
      continue;
    }
    const bool semicolon = k < text.size() && text[k] == U';';
    const std::u32string name = text.substr(j, k - j);
    if (semicolon) {
      const auto found = table.with_semicolon.find(name + U";");
      if (found != table.with_semicolon.end()) {
        out.push_back(found->second);
        i = k + 1;
        continue;
      }
    }
    // Longest legacy name that prefixes the text, e.g. "&ampx" -> "&x".
    bool replaced = false;
    for (std::size_t length = name.size(); length >= 2 && !replaced; --length) {
      const auto found = table.without_semicolon.find(name.substr(0, length));
      if (found != table.without_semicolon.end()) {
        out.push_back(found->second);
        i = j + length;
        replaced = true;
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

std::u32string strip(const std::u32string& text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::u32string collapse_whitespace(const std::u32string& text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    if (is_space(text[i])) {
      out.push_back(U' ');
      while (i < text.size() && is_space(text[i])) ++i;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Byte symbols

/// GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the
/// others to U+0100 onwards. Returned in vocabulary order with their bytes.
const std::vector<std::pair<uint8_t, char32_t>>& byte_table() {
  static const std::vector<std::pair<uint8_t, char32_t>> table = [] {
    std::vector<std::pair<uint8_t, char32_t>> t;
    std::vector<bool> printable(256, false);
    for (int b = 0; b < 256; ++b) {
      printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      if (printable[b]) t.emplace_back(static_cast<uint8_t>(b), static_cast<char32_t>(b));
    }
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      if (!printable[b]) t.emplace_back(static_cast<uint8_t>(b), next++);
    }
    return t;
  }();
  return table;
}

const std::vector<std::string>& symbol_for_byte() {
  static const std::vector<std::string> symbols = [] {
    std::vector<std::string> s(256);
    for (const auto& [byte, code] : byte_table()) append_utf8(s[byte], code);
    return s;
  }();
  return symbols;
}

const std::unordered_map<char32_t, uint8_t>& byte_for_code() {
  static const std::unordered_map<char32_t, uint8_t> map = [] {
    std::unordered_map<char32_t, uint8_t> m;
    for (const auto& [byte, code] : byte_table()) m[code] = byte;
    return m;
  }();
  return map;
}

std::string read_text_file(const std::filesystem::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + what + " '" + path.string() + "'; check the tokenizer folder");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string read_gzip_file(const std::filesystem::path& path) {
  gzFile file = gzopen(path.string().c_str(), "rb");
  if (file == nullptr) throw Error("cannot open BPE merge file '" + path.string() + "'");
  std::string content;
  char buffer[1 << 16];
  int read = 0;
  while ((read = gzread(file, buffer, sizeof(buffer))) > 0) content.append(buffer, static_cast<std::size_t>(read));
  const bool failed = read < 0;
  gzclose(file);
  if (failed) throw Error("BPE merge file '" + path.string() + "' is not a valid gzip file");
  return content;
}

std::vector<std::string> split_lines(const std::string& content) {
  std::vector<std::string> lines;
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

// ---------------------------------------------------------------------------
// Cleaning and pre-tokenisation

std::string clip_clean_text(const std::string& text) {
  std::u32string s = normalize_nfc(utf8_to_u32(text));
  s = strip(html_unescape(html_unescape(s)));
  s = strip(collapse_whitespace(s));
  return u32_to_utf8(to_lower(s));
}

std::vector<std::string> clip_pre_tokenize(const std::string& cleaned) {
  static const std::vector<std::u32string> kSpecials{utf8_to_u32(kStartOfTextToken), utf8_to_u32(kEndOfTextToken)};
  static const std::vector<std::u32string> kContractions{U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};
  const std::u32string text = utf8_to_u32(cleaned);
  std::vector<std::string> tokens;

  // Alternatives are tried in the pattern's order; the first that matches wins.
  auto starts_with = [&text](std::size_t at, const std::u32string& prefix) {
    return text.compare(at, prefix.size(), prefix) == 0;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t length = 0;
    for (const auto& fixed : kSpecials) {
      if (length == 0 && starts_with(i, fixed)) length = fixed.size();
    }
    for (const auto& fixed : kContractions) {
      if (length == 0 && starts_with(i, fixed)) length = fixed.size();
    }
    if (length == 0 && is_letter(text[i])) {
      while (i + length < text.size() && is_letter(text[i + length])) ++length;
    }
    if (length == 0 && is_number(text[i])) length = 1;
    if (length == 0 && !is_space(text[i])) {
      while (i + length < text.size() && !is_space(text[i + length]) && !is_letter(text[i + length]) &&
             !is_number(text[i + length])) {
        ++length;
      }
    }
    if (length == 0) {
      ++i;  // whitespace separates tokens and belongs to none
      continue;
    }
    tokens.push_back(u32_to_utf8(text.substr(i, length)));
    i += length;
  }
  return tokens;
}

const std::vector<std::string>& clip_byte_symbols_in_vocab_order() {
  static const std::vector<std::string> symbols = [] {
    std::vector<std::string> s;
    for (const auto& entry : byte_table()) {
      s.emplace_back();
      append_utf8(s.back(), entry.second);
    }
    return s;
  }();
  return symbols;
}

std::vector<std::string> clip_token_to_symbols(const std::string& token) {
  const auto& symbols = symbol_for_byte();
  std::vector<std::string> out;
  out.reserve(token.size());
  for (char c : token) out.push_back(symbols[static_cast<unsigned char>(c)]);
  return out;
}

std::string ClipTokenizerOptions::to_string() const {
  nlohmann::json json{{"context_length", context_length},
                      {"padding", padding == ClipPadding::Zero ? "zero" : "end_of_text"},
                      {"truncate", truncate},
                      {"gz_merge_count", gz_merge_count}};
  return json.dump();
}

// ---------------------------------------------------------------------------
// Loading

ClipTokenizer ClipTokenizer::from_hf_files(const std::filesystem::path& vocab_json,
                                           const std::filesystem::path& merges_txt,
                                           const ClipTokenizerOptions& options) {
  const std::string vocab_name = vocab_json.string();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(read_text_file(vocab_json, "vocabulary file"));
  } catch (const nlohmann::json::exception& error) {
    throw Error("vocabulary file '" + vocab_name + "' is not valid JSON: " + error.what());
  }
  if (!json.is_object()) {
    throw Error("vocabulary file '" + vocab_name + "' must be a JSON object mapping tokens to ids, got " +
                std::string(json.type_name()));
  }
  std::map<std::string, int64_t> vocab;
  for (const auto& [token, id] : json.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0) {
      throw Error("vocabulary file '" + vocab_name + "': token '" + token + "' has id " + id.dump() +
                  ", expected a non-negative integer");
    }
    vocab[token] = id.get<int64_t>();
  }

  const std::vector<std::string> lines = split_lines(read_text_file(merges_txt, "merges file"));
  std::vector<std::pair<std::string, std::string>> merges;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string& line = lines[n];
    if ((n == 0 && line.rfind("#version", 0) == 0) || line.empty()) continue;
    const auto space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string::npos) {
      throw Error("merges file '" + merges_txt.string() + "' line " + std::to_string(n + 1) +
                  ": expected two symbols separated by one space, got '" + line + "'");
    }
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  return from_vocab_and_merges(std::move(vocab), std::move(merges), options,
                               "'" + vocab_name + "' with '" + merges_txt.string() + "'");
}

ClipTokenizer ClipTokenizer::from_openai_bpe(const std::filesystem::path& bpe_gz, const ClipTokenizerOptions& options) {
  const std::vector<std::string> lines = split_lines(read_gzip_file(bpe_gz));
  if (lines.empty()) throw Error("BPE merge file '" + bpe_gz.string() + "' is empty");

  // Line 1 is a version header; CLIP keeps the next gz_merge_count lines.
  const std::size_t available = lines.size() - 1;
  const std::size_t count = std::min<std::size_t>(available, static_cast<std::size_t>(options.gz_merge_count));
  if (count < static_cast<std::size_t>(options.gz_merge_count)) {
    logger()->warn("BPE merge file '{}' holds {} merges, fewer than the {} requested", bpe_gz.string(), available,
                   options.gz_merge_count);
  }
  std::vector<std::pair<std::string, std::string>> merges;
  for (std::size_t n = 1; n <= count; ++n) {
    std::istringstream parts(lines[n]);
    std::string left, right, extra;
    if (!(parts >> left >> right) || (parts >> extra)) {
      throw Error("BPE merge file '" + bpe_gz.string() + "' line " + std::to_string(n + 1) +
                  ": expected two symbols separated by whitespace, got '" + lines[n] + "'");
    }
    merges.emplace_back(left, right);
  }

  // CLIP's vocabulary order; a later duplicate takes the later id, as a
  // Python dict built from the list does.
  std::vector<std::string> tokens = clip_byte_symbols_in_vocab_order();
  for (std::size_t b = 0; b < 256; ++b) tokens.push_back(tokens[b] + kEndOfWord);
  for (const auto& [left, right] : merges) tokens.push_back(left + right);
  tokens.push_back(kStartOfTextToken);
  tokens.push_back(kEndOfTextToken);
  std::map<std::string, int64_t> vocab;
  for (std::size_t id = 0; id < tokens.size(); ++id) vocab[tokens[id]] = static_cast<int64_t>(id);

  return from_vocab_and_merges(std::move(vocab), std::move(merges), options, "'" + bpe_gz.string() + "'");
}

ClipTokenizer ClipTokenizer::from_vocab_and_merges(std::map<std::string, int64_t> vocab,
                                                   std::vector<std::pair<std::string, std::string>> merges,
                                                   const ClipTokenizerOptions& options, const std::string& origin) {
  if (options.context_length < 2) {
    throw Error("CLIP tokenizer: context_length must be at least 2 (start and end tokens), got " +
                std::to_string(options.context_length));
  }
  ClipTokenizer tokenizer;
  tokenizer.options_ = options;

  for (const auto& [token, id] : vocab) {
    const auto [slot, inserted] = tokenizer.id_to_token_.emplace(id, token);
    if (!inserted) {
      throw Error("tokenizer " + origin + ": tokens '" + slot->second + "' and '" + token + "' share id " +
                  std::to_string(id));
    }
    tokenizer.token_to_id_[token] = id;
  }
  auto require_token = [&](const std::string& token, const std::string& why) {
    if (tokenizer.token_to_id_.count(token) == 0) {
      throw Error("tokenizer " + origin + ": vocabulary lacks '" + token + "' (" + why + ")");
    }
  };
  for (const std::string& symbol : clip_byte_symbols_in_vocab_order()) {
    require_token(symbol, "a byte symbol");
    require_token(symbol + kEndOfWord, "a byte symbol at the end of a word");
  }
  require_token(kStartOfTextToken, "the start-of-text token");
  require_token(kEndOfTextToken, "the end-of-text token");
  tokenizer.start_of_text_ = tokenizer.token_to_id_.at(kStartOfTextToken);
  tokenizer.end_of_text_ = tokenizer.token_to_id_.at(kEndOfTextToken);

  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const std::string where = "merge " + std::to_string(rank + 1) + " '" + left + " " + right + "'";
    require_token(left, where + ", left symbol");
    require_token(right, where + ", right symbol");
    require_token(left + right, where + ", merged symbol");
    tokenizer.merge_ranks_.emplace(left + " " + right, static_cast<int64_t>(rank));
  }
  return tokenizer;
}

ClipTokenizer::ClipTokenizer(const ClipTokenizer& other)
    : options_(other.options_),
      token_to_id_(other.token_to_id_),
      id_to_token_(other.id_to_token_),
      merge_ranks_(other.merge_ranks_),
      start_of_text_(other.start_of_text_),
      end_of_text_(other.end_of_text_) {}

// ---------------------------------------------------------------------------
// Encoding

int64_t ClipTokenizer::pad_id() const { return options_.padding == ClipPadding::Zero ? 0 : end_of_text_; }

std::vector<std::string> ClipTokenizer::bpe(const std::string& token) const {
  std::vector<std::string> word = clip_token_to_symbols(token);
  if (word.empty()) return word;
  word.back() += kEndOfWord;

  // Source: bpe() in clip/simple_tokenizer.py. Merge the lowest-ranked
  // adjacent pair everywhere it occurs until no ranked pair is left.
  while (word.size() > 1) {
    int64_t best_rank = std::numeric_limits<int64_t>::max();
    std::size_t best = 0;
    for (std::size_t i = 0; i + 1 < word.size(); ++i) {
      const auto found = merge_ranks_.find(word[i] + " " + word[i + 1]);
      if (found != merge_ranks_.end() && found->second < best_rank) best_rank = found->second, best = i;
    }
    if (best_rank == std::numeric_limits<int64_t>::max()) break;

    const std::string left = word[best], right = word[best + 1];
    std::vector<std::string> merged;
    for (std::size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
        merged.push_back(left + right);
        i += 2;
      } else {
        merged.push_back(word[i++]);
      }
    }
    word = std::move(merged);
  }
  return word;
}

std::vector<int64_t> ClipTokenizer::encode_words(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const std::string& token : clip_pre_tokenize(clip_clean_text(text))) {
    if (token == kStartOfTextToken || token == kEndOfTextToken) {
      ids.push_back(token_to_id_.at(token));
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      const auto cached = cache_.find(token);
      if (cached != cache_.end()) {
        ids.insert(ids.end(), cached->second.begin(), cached->second.end());
        continue;
      }
    }
    std::vector<int64_t> token_ids;
    for (const std::string& symbol : bpe(token)) {
      const auto found = token_to_id_.find(symbol);
      if (found == token_to_id_.end()) {
        throw Error("CLIP tokenizer: BPE symbol '" + symbol + "' of '" + token + "' is not in the vocabulary");
      }
      token_ids.push_back(found->second);
    }
    ids.insert(ids.end(), token_ids.begin(), token_ids.end());
    std::lock_guard<std::mutex> lock(cache_mutex_);
    cache_.emplace(token, std::move(token_ids));
  }
  return ids;
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids{start_of_text_};
  const std::vector<int64_t> words = encode_words(text);
  ids.insert(ids.end(), words.begin(), words.end());
  ids.push_back(end_of_text_);

  const auto context = static_cast<std::size_t>(options_.context_length);
  if (ids.size() > context) {
    if (!options_.truncate) {
      throw Error("CLIP tokenizer: text needs " + std::to_string(ids.size()) + " tokens, more than the context of " +
                  std::to_string(context) + "; shorten it or enable truncation");
    }
    ids.resize(context);
    ids.back() = end_of_text_;
  }
  return ids;
}

TokenizedBatch ClipTokenizer::tokenize(const std::vector<std::string>& texts) const {
  const auto batch = static_cast<int64_t>(texts.size());
  const int64_t context = options_.context_length;
  torch::Tensor ids = torch::full({batch, context}, pad_id(), torch::kLong);  // [B, context]
  torch::Tensor mask = torch::zeros({batch, context}, torch::kLong);          // [B, context]
  auto ids_view = ids.accessor<int64_t, 2>();
  auto mask_view = mask.accessor<int64_t, 2>();
  for (int64_t row = 0; row < batch; ++row) {
    const std::vector<int64_t> row_ids = encode(texts[static_cast<std::size_t>(row)]);
    for (std::size_t t = 0; t < row_ids.size(); ++t) {
      ids_view[row][static_cast<int64_t>(t)] = row_ids[t];
      mask_view[row][static_cast<int64_t>(t)] = 1;
    }
  }
  return TokenizedBatch{ids, mask};
}

std::string ClipTokenizer::decode(const std::vector<int64_t>& ids) const {
  const auto& bytes = byte_for_code();
  std::string out;
  for (int64_t id : ids) {
    if (id == end_of_text_) break;  // what follows is padding
    if (id == start_of_text_) continue;
    const auto found = id_to_token_.find(id);
    if (found == id_to_token_.end()) {
      throw Error("CLIP tokenizer: id " + std::to_string(id) + " is outside the vocabulary");
    }
    std::string token = found->second;
    const bool word_end = token.size() >= kEndOfWord.size() &&
                          token.compare(token.size() - kEndOfWord.size(), kEndOfWord.size(), kEndOfWord) == 0;
    if (word_end) token.resize(token.size() - kEndOfWord.size());
    for (char32_t code : utf8_to_u32(token)) {
      const auto byte = bytes.find(code);
      if (byte != bytes.end()) out.push_back(static_cast<char>(byte->second));
    }
    if (word_end) out.push_back(' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return u32_to_utf8(utf8_to_u32(out));  // invalid byte sequences become U+FFFD
}

}  // namespace evlf::models
