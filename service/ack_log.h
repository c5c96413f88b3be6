// AckLog: a side file where a load writes down each chunk the store has
// committed, one JSON line per chunk ({"chunk":N,"committed_lines":C}),
// on disk (fdatasync) before the load goes on. Whatever a crash leaves of
// the file, each line it holds names a chunk that the store kept: a tool
// that kills loads on purpose (scripts/crash-loop.sh) reads it to know what
// must have survived. `dyad load --ack-log FILE` and `dyad serve --ack-log
// FILE` keep one. Thread-safe; a new load's lines start again at chunk 1.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "storage/loader.h"
#include "storage/status.h"

namespace dyad::service {

class AckLog {
 public:
  // Opens `path` for appending, creating it. IOError if it cannot.
  static Result<std::unique_ptr<AckLog>> Open(const std::string& path);
  ~AckLog();
  AckLog(const AckLog&) = delete;
  AckLog& operator=(const AckLog&) = delete;

  // Appends the chunk's line and waits until it is on disk. IOError if it
  // cannot (the load then stops; the chunk itself stays committed).
  Status Record(const storage::ChunkCommitted& chunk);

 private:
  AckLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  const std::string path_;
  const int fd_;
  std::mutex mu_;
};

}  // namespace dyad::service
