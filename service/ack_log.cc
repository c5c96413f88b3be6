#include "service/ack_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dyad::service {

Result<std::unique_ptr<AckLog>> AckLog::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IOError(
        fmt::format("--ack-log: cannot write {}: {}", path, std::strerror(errno)));
  }
  return std::unique_ptr<AckLog>(new AckLog(path, fd));
}

AckLog::~AckLog() { ::close(fd_); }

Status AckLog::Record(const storage::ChunkCommitted& chunk) {
  const std::string line =
      fmt::format("{{\"chunk\":{},\"committed_lines\":{}}}\n", chunk.chunk, chunk.committed_lines);
  std::lock_guard lock(mu_);
  // One write of a short line to a file opened for appending: a crash
  // leaves the line whole or missing, never cut.
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  const char* failure = nullptr;
  if (n < 0) {
    failure = std::strerror(errno);
  } else if (n != static_cast<ssize_t>(line.size())) {
    failure = "short write";
  } else if (::fdatasync(fd_) != 0) {
    failure = std::strerror(errno);
  }
  if (failure != nullptr) {
    return Status::IOError(fmt::format("--ack-log: cannot write {}: {}", path_, failure));
  }
  return Status::OK();
}

}  // namespace dyad::service
