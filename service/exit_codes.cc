#include "service/exit_codes.h"

namespace dyad::service {

int ToExitCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists:
      return kExitBadInput;
    case StatusCode::kNotFound:
      return kExitNotFound;
    case StatusCode::kAmbiguous:
      return kExitAmbiguous;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kBusy:
    case StatusCode::kIOError:
    case StatusCode::kCorruption:
    case StatusCode::kResourceExhausted:
    case StatusCode::kInternal:
    case StatusCode::kCancelled:
      return kExitError;
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return kExitUnauthenticated;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
  }
  return kExitError;
}

}  // namespace dyad::service
