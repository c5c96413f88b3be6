#include "storage/names.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace dyad::storage {
namespace {

struct FreeDeleter {
  void operator()(utf8proc_uint8_t* p) const { std::free(p); }
};
using Utf8Buffer = std::unique_ptr<utf8proc_uint8_t, FreeDeleter>;

// Marks that are accents rather than parts of letters (see names.h).
bool IsStrippedMark(utf8proc_int32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F) ||                                  // generic diacritics
         (c >= 0x0591 && c <= 0x05C7) ||                                  // Hebrew points
         (c >= 0x0610 && c <= 0x061A) || (c >= 0x064B && c <= 0x065F) ||  // Arabic harakat
         c == 0x0670 || (c >= 0x06D6 && c <= 0x06ED);
}

bool IsWordChar(utf8proc_int32_t c) {
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_MN:  // kept marks (Indic vowel signs) belong to their letter
    case UTF8PROC_CATEGORY_MC:
      return true;
    default:
      return false;
  }
}

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// The common case (plain ASCII names) needs no Unicode tables.
std::string NormalizeAscii(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_space = false;
  for (char ch : name) {
    const bool alnum =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
  }
  return out;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) return false;
    p += n;
    left -= n;
  }
  return true;
}

Result<std::string> NormalizeName(std::string_view name) {
  std::string out;
  if (IsAscii(name)) {
    out = NormalizeAscii(name);
  } else {
    // Compatibility decomposition and case folding; marks are then separate
    // code points that we can drop or keep before recomposing.
    utf8proc_uint8_t* decomposed = nullptr;
    utf8proc_ssize_t n = utf8proc_map(
        reinterpret_cast<const utf8proc_uint8_t*>(name.data()),
        static_cast<utf8proc_ssize_t>(name.size()), &decomposed,
        static_cast<utf8proc_option_t>(UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD));
    Utf8Buffer owned(decomposed);
    if (n < 0) return Status::InvalidArgument("is not valid UTF-8");

    std::string filtered;
    filtered.reserve(static_cast<size_t>(n));
    bool pending_space = false;
    const utf8proc_uint8_t* p = decomposed;
    utf8proc_ssize_t left = n;
    while (left > 0) {
      utf8proc_int32_t c;
      utf8proc_ssize_t len = utf8proc_iterate(p, left, &c);
      if (len <= 0) return Status::InvalidArgument("is not valid UTF-8");
      p += len;
      left -= len;
      if (IsStrippedMark(c)) continue;
      if (!IsWordChar(c)) {
        pending_space = !filtered.empty();
        continue;
      }
      if (pending_space) filtered.push_back(' ');
      pending_space = false;
      utf8proc_uint8_t buf[4];
      utf8proc_ssize_t w = utf8proc_encode_char(c, buf);
      filtered.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(w));
    }
    utf8proc_uint8_t* composed =
        utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(filtered.c_str()));
    if (composed == nullptr) return Status::Internal("utf8proc_NFC failed");
    Utf8Buffer owned_composed(composed);
    out = reinterpret_cast<const char*>(composed);
  }
  if (out.empty()) return Status::InvalidArgument("normalises to nothing (no letters or digits)");
  return out;
}

std::string SlugOf(std::string_view normalized) {
  std::string slug(normalized);
  for (char& c : slug) {
    if (c == ' ') c = '-';
  }
  return slug;
}

bool IsValidLabel(std::string_view s) {
  if (s.empty() || s[0] < 'A' || s[0] > 'Z') return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

bool IsValidPredicate(std::string_view s) {
  if (s.empty() || s[0] < 'A' || s[0] > 'Z') return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace dyad::storage
