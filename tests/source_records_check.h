// What the plain decoder of fact records (storage/internal/
// source_records.h) is held to, for its test and its fuzzer: protobuf's own
// parse of the same bytes.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dyad/v1/records.pb.h"
#include "storage/model.h"

namespace dyad::storage::internal {

// The sources as protobuf parses them, or nullopt if it refuses.
inline std::optional<std::vector<Source>> ProtobufSources(std::string_view bytes) {
  dyad::v1::EdgeRecord rec;
  if (!rec.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  std::vector<Source> sources;
  for (const auto& src : rec.sources()) {
    Source s;
    s.doc = src.doc();
    s.confidence = src.confidence();
    s.valid_to = src.valid_to();
    s.props.assign(src.props().begin(), src.props().end());
    s.fields.assign(src.fields().begin(), src.fields().end());
    sources.push_back(std::move(s));
  }
  return sources;
}

// Every byte of what a source holds, each prop serialized whole.
inline std::string DescribeSources(const std::vector<Source>& sources) {
  std::string out;
  for (const Source& s : sources) {
    out += fmt::format("doc={} confidence={} valid_to={}", s.doc, s.confidence, s.valid_to);
    for (const auto* list : {&s.props, &s.fields}) {
      out += list == &s.props ? " props:" : " fields:";
      // The whole prop's bytes: its value's presence and any field it
      // carries that records.proto does not know are in them too.
      for (const auto& p : *list) out += " [" + p.key() + "]" + p.SerializeAsString();
    }
    out += "\n";
  }
  return out;
}

}  // namespace dyad::storage::internal
