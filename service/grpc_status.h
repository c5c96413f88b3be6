// The one place where a dyad Status becomes a gRPC status, and where a
// gRPC status from a server becomes a dyad Status again (the command line's
// --server mode). Besides the code and message, a failed call carries
// ErrorDetails (wire-compatible with google.rpc.Status) holding one
// ErrorInfo: dyad's own code name, the nodes of an ambiguous name, the
// summary of a load that met bad lines. A Status therefore survives the
// round trip exactly, and an error prints the same JSON either way.
// Pure functions; thread-safe.
#pragma once

#include <grpcpp/support/status.h>

#include <optional>
#include <vector>

#include "storage/loader.h"
#include "storage/model.h"
#include "storage/status.h"

namespace dyad::service {

// What a failed call says beyond its Status.
struct ErrorExtras {
  std::vector<storage::Node> candidates;             // an ambiguous name's nodes
  std::optional<storage::LoadSummary> load_summary;  // a load that met bad lines
};

grpc::Status ToGrpcStatus(const Status& status, const ErrorExtras& extras = {});

// The Status a call's gRPC status stands for; fills *extras when given.
Status FromGrpcStatus(const grpc::Status& status, ErrorExtras* extras = nullptr);

}  // namespace dyad::service
