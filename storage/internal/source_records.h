// A fact record's sources (dyad.v1.EdgeRecord, proto/dyad/v1/records.proto)
// decoded straight into a fact's Source list, reusing the strings and props
// it already holds. A whole-store scan decodes millions of records; going
// through protobuf's parse cost an allocation and a free for every prop
// value and its string, and a UTF-8 check of every string, about half of a
// scan's time.
//
// It promises never to decode a record differently from protobuf: it takes
// only the records that dyad writes, in the wire format's plain forms (every
// string ASCII, each prop with a value of one kind, no unknown fields, no
// varint longer than 5 bytes), and says no to anything else,
// which the caller then hands to protobuf's parse. A test and a fuzzer hold
// the two to the same answers.
// Only storage/*.cc (and the tests) include this.
#pragma once

#include <string_view>
#include <vector>

#include "storage/model.h"

namespace dyad::storage::internal {

// Decodes `bytes` into `sources`, resized to the record's number of
// sources; false, with `sources` in any state, when the record is not in
// the plain form above (or is not a record at all).
bool DecodePlainSources(std::string_view bytes, std::vector<Source>* sources);

}  // namespace dyad::storage::internal
