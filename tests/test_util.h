// Test helpers shared by the suites: temporary directories, loading facts
// from a string into a real store, whole-store snapshots for before/after
// comparisons, and running the real `dyad` binary.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "storage/loader.h"
#include "storage/status.h"
#include "storage/store.h"

namespace dyad::testing {

#define ASSERT_OK(expr)                    \
  do {                                     \
    ::dyad::Status s_ = (expr);            \
    ASSERT_TRUE(s_.ok()) << s_.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                    \
  do {                                     \
    ::dyad::Status s_ = (expr);            \
    EXPECT_TRUE(s_.ok()) << s_.ToString(); \
  } while (0)

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::filesystem::path SourceDir();                     // the repository root
std::filesystem::path SeedFacts();                     // tests/data/seeds/facts.jsonl
std::optional<std::filesystem::path> SharedDir();      // ../shared when present
std::string ReadFile(const std::filesystem::path& p);  // "" when missing
void WriteFile(const std::filesystem::path& p, std::string_view text);

// Opens (creating if needed) a store in `dir`; fails the test on error.
std::unique_ptr<storage::Store> OpenStore(const std::filesystem::path& dir);

// Loads `text` (JSON Lines) as a file named `name`.
Status LoadText(storage::Store& store, std::string_view text, storage::LoadSummary* summary,
                storage::LoadOptions options = {}, std::string name = "facts.jsonl");
Status LoadPath(storage::Store& store, const std::filesystem::path& file,
                storage::LoadSummary* summary, storage::LoadOptions options = {});

// Every key and value of every column family, one line each (hex-escaped):
// equal strings mean byte-identical stores.
std::string RawScan(const storage::Store& store);

// Runs the `dyad` binary with `args` (shell-quoted here), optional stdin.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunDyad(const std::vector<std::string>& args, std::string_view stdin_text = {});
// Runs any program: argv[0] (found on PATH) with the rest as arguments.
RunResult RunCommand(const std::vector<std::string>& argv, std::string_view stdin_text = {});

// A `dyad --db DB serve --listen 127.0.0.1:0 --format json EXTRA...` child
// process. Its stdout's first line says where it listens (address(), empty
// if it never did); its stderr (the call log) goes to `log`. Killed, if
// still running, when destroyed.
class ServeProcess {
 public:
  ServeProcess(const std::filesystem::path& db, const std::filesystem::path& log,
               std::vector<std::string> extra = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  const std::string& address() const { return address_; }
  void Signal(int sig);
  // The exit status (WEXITSTATUS, or 128 + signal), or -1 if it is still
  // running after `timeout`.
  int Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string address_;
};

// `nodes` Person nodes that only facts create, each the subject of
// `degree` MET facts to random others (fixed seed), over 97 documents.
std::string DenseGraph(int nodes, int degree, uint32_t seed = 7);

}  // namespace dyad::testing
