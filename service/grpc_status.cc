#include "service/grpc_status.h"

#include "dyad/v1/dyad.pb.h"
#include "service/proto_convert.h"

namespace dyad::service {
namespace {

grpc::StatusCode GrpcCodeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kAmbiguous:  // the request needs a qualified name first
    case StatusCode::kFailedPrecondition:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case StatusCode::kAlreadyExists:
      return grpc::StatusCode::ALREADY_EXISTS;
    case StatusCode::kBusy:
    case StatusCode::kUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kCorruption:
      return grpc::StatusCode::DATA_LOSS;
    case StatusCode::kResourceExhausted:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kUnauthenticated:
      return grpc::StatusCode::UNAUTHENTICATED;
    case StatusCode::kPermissionDenied:
      return grpc::StatusCode::PERMISSION_DENIED;
    case StatusCode::kDeadlineExceeded:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case StatusCode::kCancelled:
      return grpc::StatusCode::CANCELLED;
    case StatusCode::kIOError:
    case StatusCode::kInternal:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

// For a status without ErrorInfo: one from gRPC itself (no connection, an
// expired deadline, a message over the size limit) or another server.
StatusCode CodeOfGrpc(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return StatusCode::kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return StatusCode::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND:
      return StatusCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return StatusCode::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return StatusCode::kFailedPrecondition;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return StatusCode::kResourceExhausted;
    case grpc::StatusCode::UNAUTHENTICATED:
      return StatusCode::kUnauthenticated;
    case grpc::StatusCode::PERMISSION_DENIED:
      return StatusCode::kPermissionDenied;
    case grpc::StatusCode::UNAVAILABLE:
      return StatusCode::kUnavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return StatusCode::kDeadlineExceeded;
    case grpc::StatusCode::CANCELLED:
      return StatusCode::kCancelled;
    case grpc::StatusCode::DATA_LOSS:
      return StatusCode::kCorruption;
    default:
      return StatusCode::kInternal;
  }
}

std::optional<StatusCode> CodeNamed(std::string_view name) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kCancelled); ++c) {
    if (StatusCodeName(static_cast<StatusCode>(c)) == name) return static_cast<StatusCode>(c);
  }
  return std::nullopt;
}

}  // namespace

grpc::Status ToGrpcStatus(const Status& status, const ErrorExtras& extras) {
  if (status.ok()) return grpc::Status::OK;
  const grpc::StatusCode code = GrpcCodeOf(status.code());
  v1::ErrorInfo info;
  info.set_code(std::string(StatusCodeName(status.code())));
  for (const auto& n : extras.candidates) *info.add_candidates() = ToProto(n);
  if (extras.load_summary) *info.mutable_load_summary() = ToProto(*extras.load_summary);
  v1::ErrorDetails details;
  details.set_code(static_cast<int32_t>(code));
  details.set_message(status.message());
  details.add_details()->PackFrom(info);
  return grpc::Status(code, status.message(), details.SerializeAsString());
}

Status FromGrpcStatus(const grpc::Status& status, ErrorExtras* extras) {
  if (status.ok()) return Status::OK();
  StatusCode code = CodeOfGrpc(status.error_code());
  v1::ErrorDetails details;
  v1::ErrorInfo info;
  bool has_info = false;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      if (any.UnpackTo(&info)) {
        has_info = true;
        break;
      }
    }
  }
  std::vector<std::string> candidate_ids;
  if (has_info) {
    if (auto named = CodeNamed(info.code())) code = *named;
    for (const auto& n : info.candidates()) {
      candidate_ids.push_back(n.id());
      if (extras) extras->candidates.push_back(FromProto(n));
    }
    if (extras && info.has_load_summary()) extras->load_summary = FromProto(info.load_summary());
  }
  if (code == StatusCode::kOk) code = StatusCode::kInternal;  // a failed call is never OK
  return Status::FromCode(code, status.error_message(), std::move(candidate_ids));
}

}  // namespace dyad::service
