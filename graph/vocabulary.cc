#include "graph/vocabulary.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "storage/names.h"

namespace dyad::graph {

extern const char kDefaultPredicatesTsv[];  // default_predicates.cc, made by CMake

Result<Vocabulary> Vocabulary::Parse(std::string_view tsv, std::string_view name) {
  Vocabulary v;
  size_t line_no = 0;
  while (!tsv.empty()) {
    size_t nl = tsv.find('\n');
    std::string_view line = tsv.substr(0, nl);
    tsv = nl == std::string_view::npos ? std::string_view() : tsv.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> cols;
    for (size_t start = 0;;) {
      size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    auto bad = [&](std::string_view column, std::string_view reason) {
      return Status::InvalidArgument(fmt::format("{}:{}: {}: {}", name, line_no, column, reason));
    };
    if (cols.size() < 4)
      return bad("line", "expected predicate, cameo, goldstein, symmetric, meaning");
    if (!storage::IsValidPredicate(cols[0])) return bad("predicate", "must match [A-Z][A-Z0-9_]*");
    PredicateInfo info;
    if (cols[1] != "-") info.cameo = cols[1];
    if (cols[2] != "-") {
      std::string text(cols[2]);
      char* end = nullptr;
      errno = 0;
      double g = std::strtod(text.c_str(), &end);
      if (errno != 0 || end == text.c_str() || *end != '\0' || g < -10 || g > 10) {
        return bad("goldstein", "must be a number in [-10, 10] or -");
      }
      info.goldstein = g;
    }
    if (cols[3] != "yes" && cols[3] != "no") return bad("symmetric", "must be yes or no");
    info.symmetric = cols[3] == "yes";
    if (cols.size() > 4) info.meaning = cols[4];
    if (!v.predicates_.emplace(std::string(cols[0]), std::move(info)).second) {
      return bad("predicate", fmt::format("{} is listed twice", cols[0]));
    }
  }
  return v;
}

Result<Vocabulary> Vocabulary::LoadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::IOError(fmt::format("cannot read predicate vocabulary {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path.string());
}

const Vocabulary& Vocabulary::Default() {
  static const Vocabulary kDefault = [] {
    Result<Vocabulary> v = Parse(kDefaultPredicatesTsv, "predicates.tsv (built in)");
    // The build embeds a file that tests parse; a failure here is a build bug.
    if (!v.ok()) std::abort();
    return std::move(v).value();
  }();
  return kDefault;
}

const PredicateInfo* Vocabulary::Find(std::string_view predicate) const {
  auto it = predicates_.find(predicate);
  return it == predicates_.end() ? nullptr : &it->second;
}

std::vector<std::string> Vocabulary::SymmetricPredicates() const {
  std::vector<std::string> out;
  for (const auto& [name, info] : predicates_) {
    if (info.symmetric) out.push_back(name);
  }
  return out;
}

}  // namespace dyad::graph
