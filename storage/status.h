// Status and Result: errors as values, in the style of LevelDB and RocksDB.
// Every fallible call in dyad returns a Status, or a Result<T> holding either
// a value or the Status that explains why it is missing. Nothing throws
// across a function boundary; front ends map a Status to an exit code or a
// gRPC code in exactly one place each.
//   DYAD_ASSIGN_OR_RETURN(NodeId id, store.Resolve("Location:Moscow"));
// A Status is a value type, safe to copy between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dyad {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: a malformed line, flag value or request
  kNotFound,            // an unknown node, id or file
  kAmbiguous,           // a name that matches several nodes; see candidates()
  kAlreadyExists,       // an id or alias that already names another node
  kFailedPrecondition,  // a store of another format version, a non-dyad dir
  kBusy,                // the store is in use by another process
  kIOError,             // the file system or RocksDB failed
  kCorruption,          // a record on disk could not be decoded
  kResourceExhausted,   // a size limit was hit
  kInternal,            // a bug
  // A remote call's own failures (the CLI against a server):
  kUnauthenticated,   // no token, or the wrong one
  kPermissionDenied,  // the token does not allow this call
  kUnavailable,       // the server cannot be reached
  kDeadlineExceeded,  // the call's deadline passed before an answer
  kCancelled,         // the call was cancelled
};

// Returns "INVALID_ARGUMENT", "NOT_FOUND", ... (the names used in JSON errors).
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // Success costs one null pointer.
  Status() = default;
  static Status OK() { return Status(); }

  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  // `candidates` are display strings of the nodes the name matched.
  static Status Ambiguous(std::string msg, std::vector<std::string> candidates) {
    return Status(StatusCode::kAmbiguous, std::move(msg), std::move(candidates));
  }
  static Status AlreadyExists(std::string msg) {
    return Status(StatusCode::kAlreadyExists, std::move(msg));
  }
  static Status FailedPrecondition(std::string msg) {
    return Status(StatusCode::kFailedPrecondition, std::move(msg));
  }
  static Status Busy(std::string msg) { return Status(StatusCode::kBusy, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(StatusCode::kIOError, std::move(msg)); }
  static Status Corruption(std::string msg) {
    return Status(StatusCode::kCorruption, std::move(msg));
  }
  static Status ResourceExhausted(std::string msg) {
    return Status(StatusCode::kResourceExhausted, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
  // Any code, for a front end that rebuilds a Status received from elsewhere.
  static Status FromCode(StatusCode code, std::string msg,
                         std::vector<std::string> candidates = {}) {
    if (code == StatusCode::kOk) return Status();
    return Status(code, std::move(msg), std::move(candidates));
  }

  bool ok() const { return rep_ == nullptr; }
  // For the rare call whose failure is harmless (a cache that cannot be
  // written); says so at the call site.
  void IgnoreError() const {}
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsInvalidArgument() const { return code() == StatusCode::kInvalidArgument; }
  bool IsAmbiguous() const { return code() == StatusCode::kAmbiguous; }

  // The message without the code name; empty for OK.
  const std::string& message() const;
  // Display strings of the candidates of an Ambiguous status; else empty.
  const std::vector<std::string>& candidates() const;
  // "OK" or "NOT_FOUND: message".
  std::string ToString() const;

  // Returns a copy whose message is `prefix + ": " + message()`.
  Status WithContext(std::string_view prefix) const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    std::vector<std::string> candidates;
  };
  Status(StatusCode code, std::string msg, std::vector<std::string> candidates = {})
      : rep_(std::make_shared<Rep>(Rep{code, std::move(msg), std::move(candidates)})) {}
  std::shared_ptr<const Rep> rep_;
};

// A value of type T, or the Status that says why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  // Precondition: ok().
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace dyad

#define DYAD_CONCAT_INNER_(a, b) a##b
#define DYAD_CONCAT_(a, b) DYAD_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function unless it is OK.
#define DYAD_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::dyad::Status dyad_status_ = (expr);        \
    if (!dyad_status_.ok()) return dyad_status_; \
  } while (0)

// `lhs` = the value of the Result `rexpr`, or returns its Status.
#define DYAD_ASSIGN_OR_RETURN(lhs, rexpr) \
  DYAD_ASSIGN_OR_RETURN_IMPL_(DYAD_CONCAT_(dyad_result_, __LINE__), lhs, rexpr)
#define DYAD_ASSIGN_OR_RETURN_IMPL_(result, lhs, rexpr) \
  auto result = (rexpr);                                \
  if (!result.ok()) return result.status();             \
  lhs = std::move(result).value()
