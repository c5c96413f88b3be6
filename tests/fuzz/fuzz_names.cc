// Fuzzes name normalisation (storage/names.h) with any bytes. Promises
// checked (names.h, and fact-format.md's "Name resolution"):
//   - NormalizeName never crashes; bytes that are not UTF-8 give
//     InvalidArgument, and so does a name that normalises to nothing;
//   - a normalised name is non-empty UTF-8 made of single spaces between
//     words, trimmed, and is its own normal form: it is NFKC, case-folded,
//     without the stripped accents, so normalising it again changes nothing
//     (a stored name and the same name typed again must meet);
//   - plain ASCII (the fast path) normalises as the Unicode path would: a
//     leading combining accent, which is stripped, changes nothing;
//   - SlugOf only turns spaces into '-';
//   - every predicate is also a valid label ([A-Z][A-Z0-9_]* is narrower
//     than [A-Z][A-Za-z0-9_]*).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/names.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dyad;
  using namespace dyad::storage;
  using dyad::fuzz::Hex;
  const std::string_view name(reinterpret_cast<const char*>(data), size);

  const bool utf8 = IsValidUtf8(name);
  Result<std::string> normalized = NormalizeName(name);
  if (!normalized.ok()) {
    DYAD_FUZZ_CHECK(normalized.status().code() == StatusCode::kInvalidArgument,
                    Hex(name) << ": " << normalized.status().ToString());
  } else {
    const std::string& n = *normalized;
    DYAD_FUZZ_CHECK(utf8, "not UTF-8, yet normalised: " << Hex(name));
    DYAD_FUZZ_CHECK(!n.empty(), "normalised to nothing without an error: " << Hex(name));
    DYAD_FUZZ_CHECK(IsValidUtf8(n), Hex(name) << " -> " << Hex(n) << ", not UTF-8");
    DYAD_FUZZ_CHECK(n.front() != ' ' && n.back() != ' ' && n.find("  ") == std::string::npos,
                    Hex(name) << " -> " << Hex(n) << ", spaces not collapsed or trimmed");
    Result<std::string> again = NormalizeName(n);
    DYAD_FUZZ_CHECK(again.ok() && *again == n,
                    Hex(name) << " -> " << Hex(n) << " -> "
                              << (again.ok() ? Hex(*again) : again.status().ToString()));
    const std::string slug = SlugOf(n);
    DYAD_FUZZ_CHECK(slug.size() == n.size() && slug.find(' ') == std::string::npos,
                    "slug " << Hex(slug) << " of " << Hex(n));
  }

  bool ascii = true;
  for (unsigned char c : name) ascii = ascii && c < 0x80;
  if (ascii) {
    // U+0301 COMBINING ACUTE ACCENT, stripped wherever it stands.
    Result<std::string> unicode = NormalizeName("\xCC\x81" + std::string(name));
    DYAD_FUZZ_CHECK(
        unicode.ok() == normalized.ok() && (!unicode.ok() || *unicode == *normalized),
        "ASCII " << Hex(name) << " -> "
                 << (normalized.ok() ? Hex(*normalized) : normalized.status().ToString())
                 << ", by the Unicode path "
                 << (unicode.ok() ? Hex(*unicode) : unicode.status().ToString()));
  }

  if (IsValidPredicate(name)) {
    DYAD_FUZZ_CHECK(IsValidLabel(name), "predicate " << Hex(name) << " is not a valid label");
  }
  return 0;
}
