// The fact format (JSON Lines) written from what a store holds: an entity
// record per declared node, then a fact record per source of every fact.
// Loading the lines into an empty store gives back an equal store (the
// same Store::DumpCanonical): sources keep their load order, so merged
// confidence, valid_to and props come out the same; nodes a fact created
// stay undeclared. Numbers are written exactly (not rounded for display).
// Pure functions; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "storage/model.h"
#include "storage/status.h"
#include "storage/store.h"

namespace dyad::service {

// One entity record (no newline): id, label, name, aliases, props.
std::string EntityLine(const storage::Node& entity);

// The whole store, line by line into `sink` (each call one or more whole
// lines, newline-terminated), from one consistent view of it. Holds the
// nodes' names in memory (a fact names its ends by them), never the facts.
// Stops at the first failure of the store or the sink.
Status WriteFactLines(const storage::Store& store,
                      const std::function<Status(std::string_view lines)>& sink);

}  // namespace dyad::service
