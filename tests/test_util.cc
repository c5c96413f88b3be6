#include "tests/test_util.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace dyad::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "dyad-test-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path SourceDir() { return DYAD_SOURCE_DIR; }
fs::path SeedFacts() { return SourceDir() / "tests/data/seeds/facts.jsonl"; }

std::optional<fs::path> SharedDir() {
  fs::path shared = SourceDir().parent_path() / "shared";
  std::error_code ec;
  if (fs::is_directory(shared / "spec", ec)) return shared;
  return std::nullopt;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::unique_ptr<storage::Store> OpenStore(const fs::path& dir) {
  storage::StoreOptions options;
  options.create_if_missing = true;
  Result<std::unique_ptr<storage::Store>> store = storage::Store::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

Status LoadPath(storage::Store& store, const fs::path& file, storage::LoadSummary* summary,
                storage::LoadOptions options) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + file.string());
  storage::Loader loader(store, std::move(options));
  Status s = loader.Load({{file.filename().string(), fd, {}}}, summary);
  ::close(fd);
  return s;
}

Status LoadText(storage::Store& store, std::string_view text, storage::LoadSummary* summary,
                storage::LoadOptions options, std::string name) {
  TempDir dir;
  fs::path file = dir / name;
  WriteFile(file, text);
  return LoadPath(store, file, summary, std::move(options));
}

std::string RawScan(const storage::Store& store) {
  std::string out;
  auto hex = [](std::string_view s) {
    static const char* kDigits = "0123456789abcdef";
    std::string h;
    for (unsigned char c : s) {
      h += kDigits[c >> 4];
      h += kDigits[c & 15];
    }
    return h;
  };
  Status s = store.ForEachRaw([&](storage::Column c, std::string_view k, std::string_view v) {
    out += std::string(storage::ColumnName(c)) + " " + hex(k) + " " + hex(v) + "\n";
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

RunResult RunCommand(const std::vector<std::string>& argv, std::string_view stdin_text) {
  TempDir dir;
  fs::path in = dir / "stdin", out = dir / "stdout", err = dir / "stderr";
  WriteFile(in, stdin_text);
  auto quote = [](const std::string& a) {
    std::string q = "'";
    for (char c : a) {
      if (c == '\'') {
        q += "'\\''";
      } else {
        q += c;
      }
    }
    return q + "'";
  };
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + quote(a);
  cmd += " <" + quote(in.string()) + " >" + quote(out.string()) + " 2>" + quote(err.string());
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

RunResult RunDyad(const std::vector<std::string>& args, std::string_view stdin_text) {
  std::vector<std::string> argv = {DYAD_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, stdin_text);
}

ServeProcess::ServeProcess(const fs::path& db, const fs::path& log,
                           std::vector<std::string> extra) {
  std::vector<std::string> args = {DYAD_BINARY, "--db",        db.string(), "serve",
                                   "--listen",  "127.0.0.1:0", "--format",  "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  const std::string key = "\"listening\":\"";
  if (size_t at = line.find(key); at != std::string::npos) {
    address_ = line.substr(at + key.size(), line.find('"', at + key.size()) - at - key.size());
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ServeProcess::Signal(int sig) { ::kill(pid_, sig); }

int ServeProcess::Wait(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string DenseGraph(int nodes, int degree, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, nodes - 1);
  std::string text;
  for (int i = 0; i < nodes; ++i) {
    for (int d = 0; d < degree; ++d) {
      text += fmt::format(
          R"({{"kind":"fact","subject":{{"label":"Person","name":"P{}"}},"predicate":"MET",)"
          R"("object":{{"label":"Person","name":"P{}"}},"valid_from":"2012-01-{:02}",)"
          R"("source":{{"doc":"d{}"}}}})"
          "\n",
          i, pick(rng), 1 + d % 28, i % 97);
    }
  }
  return text;
}

}  // namespace dyad::testing
