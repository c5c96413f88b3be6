// Name normalisation: how dyad decides that two surface forms name the same
// thing. fact-format.md: NFKC, case-folded, accents stripped, every run of
// characters that are not Unicode letters or digits collapsed to one space,
// trimmed. "Erdoğan" and "ERDOGAN" both become "erdogan";
// "Maj-Gen Asim Bajwa" becomes "maj gen asim bajwa".
//
// Accent stripping removes the generic combining diacritics (U+0300..U+036F
// and the other "combining diacritical marks" blocks) and the optional
// vowel points of Arabic and Hebrew, but keeps the vowel signs of Indic and
// other scripts, which are part of the letters there: stripping every mark
// would make Devanagari "मोदी" and "मद" one name.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace dyad::storage {

inline constexpr size_t kMaxNameBytes = 512;

// The normalised form of `name`. InvalidArgument if `name` is not valid
// UTF-8 or normalises to nothing (only punctuation, spaces or marks).
Result<std::string> NormalizeName(std::string_view name);

// The slug of a normalised name: its spaces replaced by '-'
// ("ashfaq parvez kayani" -> "ashfaq-parvez-kayani").
std::string SlugOf(std::string_view normalized);

// fact-format.md syntax checks.
bool IsValidLabel(std::string_view label);          // [A-Z][A-Za-z0-9_]*
bool IsValidPredicate(std::string_view predicate);  // [A-Z][A-Z0-9_]*

// True if `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace dyad::storage
