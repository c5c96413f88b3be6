// Records of the fact format (JSON Lines) written from what a store holds:
// an entity record per declared node, a fact record per source of a fact.
// Loading an entity line per declared node, then the fact lines of every
// fact, into an empty store gives back an equal store (the same
// Store::DumpCanonical): sources keep their load order, so merged
// confidence, valid_to and props come out the same; a node a fact created
// is named by label and name, so it stays undeclared. Numbers are written
// exactly (not rounded for display).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "storage/model.h"

namespace dyad::service {

// One entity record (no newline): id, label, name, aliases, props.
std::string EntityLine(const storage::Node& entity);

// How a fact record names `node`, as JSON: {"id": ...} when an entity
// record declared it, else {"label": ..., "name": ...}, which creates it as
// the original load did.
std::string NodeRefJson(const storage::Node& node);

// Appends the fact records of `fact` to `out`, one per source in load
// order, each newline-terminated; its ends named by their NodeRefJson.
void AppendFactLines(const storage::Fact& fact, std::string_view subject_ref,
                     std::string_view object_ref, std::string* out);

}  // namespace dyad::service
