// DYAD_FUZZ_CHECK: what a fuzz target asserts of the code it fuzzes. Unlike
// assert() it also holds in release builds (the regression replays run in
// the RelWithDebInfo build); a failed check prints the condition and its
// context and aborts, which libFuzzer reports as a crash and saves.
//   DYAD_FUZZ_CHECK(out.size() > 0, "NormalizeName(" << Hex(in) << ") is empty");
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

namespace dyad::fuzz {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* condition,
                                     const std::string& context) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n  %s\n", file, line, condition,
               context.c_str());
  std::abort();
}

// `bytes` as a C string literal with every byte outside printable ASCII
// escaped, for messages that must stay readable whatever the input.
inline std::string Hex(std::string_view bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out + "\"";
}

}  // namespace dyad::fuzz

#define DYAD_FUZZ_CHECK(condition, context)                                                \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::ostringstream dyad_fuzz_context_;                                               \
      dyad_fuzz_context_ << context;                                                       \
      ::dyad::fuzz::CheckFailed(__FILE__, __LINE__, #condition, dyad_fuzz_context_.str()); \
    }                                                                                      \
  } while (0)
