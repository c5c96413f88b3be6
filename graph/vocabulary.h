// The predicate vocabulary (predicates.tsv): for each well-known predicate
// its CAMEO code, Goldstein weight (-10 conflict .. +10 cooperation) and
// whether it holds both ways. Dyad aggregation weighs events with it and
// traversals follow symmetric predicates both ways. dyad carries a default
// copy compiled in; a deployment can load its own file instead.
//   const Vocabulary& v = Vocabulary::Default();
//   v.Find("VISITED")->goldstein == 1.9
// Immutable after construction; safe to share between threads.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace dyad::graph {

struct PredicateInfo {
  std::string cameo;                // "042"; empty for structural predicates
  std::optional<double> goldstein;  // nullopt: not an event (HOLDS_OFFICE, ...)
  bool symmetric = false;
  std::string meaning;
};

class Vocabulary {
 public:
  // Parses TSV text: `predicate<TAB>cameo<TAB>goldstein<TAB>symmetric<TAB>meaning`,
  // `-` for none, `#` comment lines. InvalidArgument "name:line: column:
  // reason" on the first bad line.
  static Result<Vocabulary> Parse(std::string_view tsv, std::string_view name);
  static Result<Vocabulary> LoadFile(const std::filesystem::path& path);
  // The copy of graph/predicates.tsv compiled into dyad.
  static const Vocabulary& Default();

  // nullptr for a predicate the vocabulary does not know.
  const PredicateInfo* Find(std::string_view predicate) const;
  std::vector<std::string> SymmetricPredicates() const;
  size_t size() const { return predicates_.size(); }

 private:
  std::map<std::string, PredicateInfo, std::less<>> predicates_;
};

}  // namespace dyad::graph
