// Conversion between the front ends' requests and views (backend.h,
// render.h) and the dyad.v1 API messages (proto/dyad/v1/dyad.proto). The
// server turns requests from messages and views into messages; the command
// line's --server mode does the reverse. A view survives the round trip
// unchanged in everything render.h prints, which is what makes the JSON of
// an answer through a server equal the embedded one byte for byte.
// Requests from the network are checked here: a bad field comes back as
// InvalidArgument naming it ("filters.from: ...").
// Pure functions; thread-safe.
#pragma once

#include "dyad/v1/dyad.pb.h"
#include "service/backend.h"
#include "service/render.h"
#include "storage/loader.h"
#include "storage/model.h"
#include "storage/status.h"

namespace dyad::service {

// Values. A node from the network has no internal id (0).
v1::Node ToProto(const storage::Node& node);
storage::Node FromProto(const v1::Node& node);
void ToProto(const FactView& fact, v1::Fact* out);
Result<FactView> FromProto(const v1::Fact& fact);

v1::LoadSummary ToProto(const storage::LoadSummary& summary);
storage::LoadSummary FromProto(const v1::LoadSummary& summary);
v1::StatsResponse ToProto(const storage::Stats& stats);
storage::Stats FromProto(const v1::StatsResponse& stats);

// Requests, for the client.
v1::Filters ToProto(const QueryFilters& filters);
v1::GetFactsRequest ToProto(const FactsRequest& request);
v1::NeighbourhoodRequest ToProto(const NeighboursRequest& request);
v1::PathsRequest ToProto(const PathsRequest& request);
v1::DyadTimelineRequest ToProto(const DyadRequest& request);
v1::ExportRequest ToProto(const ExportRequest& request);

// Requests, for the server: checked, with the limits of the command line.
Result<QueryFilters> FromProto(const v1::Filters& filters);
Result<FactsRequest> FromProto(const v1::GetFactsRequest& request);
Result<NeighboursRequest> FromProto(const v1::NeighbourhoodRequest& request);
Result<PathsRequest> FromProto(const v1::PathsRequest& request);
Result<DyadRequest> FromProto(const v1::DyadTimelineRequest& request);
Result<ExportRequest> FromProto(const v1::ExportRequest& request);
Result<storage::LoadOptions> FromProto(const v1::LoadOptions& options);
Result<storage::Node> FromProto(const v1::UpsertEntityRequest& request);

// Answers, both ways.
v1::GetFactsResponse ToProto(const FactsView& view);
Result<FactsView> FromProto(const v1::GetFactsResponse& response);
// Moves the view's strings: a small neighbourhood's answer is mostly node
// names, and this is a server's most frequent call.
v1::NeighbourhoodResponse ToProto(NeighboursView&& view);
Result<NeighboursView> FromProto(const v1::NeighbourhoodResponse& response);
v1::PathsResponse ToProto(const PathsView& view);
Result<PathsView> FromProto(const v1::PathsResponse& response);
v1::DyadTimelineResponse ToProto(const DyadView& view);
Result<DyadView> FromProto(const v1::DyadTimelineResponse& response);
v1::ExportSummary ToProto(const ExportSummary& summary);
ExportSummary FromProto(const v1::ExportSummary& summary);

}  // namespace dyad::service
