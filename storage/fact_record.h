// The records of the fact interchange format (fact-format.md), as parsed and
// validated from one JSON line, before any name is resolved. A FactRecord or
// EntityRecord that exists has passed every syntactic rule of the format;
// only the rules that need the store (aliases of other nodes, unknown ids)
// are left to the loader.
#pragma once

#include <string>
#include <vector>

#include "dyad/v1/records.pb.h"
#include "storage/dates.h"

namespace dyad::storage {

using PropList = std::vector<dyad::v1::Prop>;  // sorted by key, keys unique

// A reference to a node: by external id, or by label and name.
struct NodeRef {
  std::string id;     // set for {"id": ...}
  std::string label;  // set with name for {"label", "name"}
  std::string name;
};

struct EntityRecord {
  std::string label;
  std::string name;
  std::string id;  // empty: default `Label:slug(name)`
  std::vector<std::string> aliases;
  PropList props;
};

struct FactRecord {
  NodeRef subject;
  std::string predicate;
  NodeRef object;
  DayCode valid_from = kOpenDay;
  DayCode valid_to = kOpenDay;
  double confidence = 1.0;
  PropList props;
  std::string doc;         // source.doc
  PropList source_fields;  // every other field of source, strings, sorted by key
};

}  // namespace dyad::storage
