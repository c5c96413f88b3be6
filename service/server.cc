#include "service/server.h"

#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "dyad/v1/dyad.grpc.pb.h"
#include "service/export_arena.h"
#include "service/grpc_status.h"
#include "service/proto_convert.h"

namespace dyad::service {
namespace {

using grpc::ServerContext;

enum class Access { kRead, kWrite };

// The bytes of a LoadFacts stream on their way from the call's thread to
// the loader's parser thread. Bounded, so a fast client waits for the
// loader instead of filling the server's memory. Shared by both sides (and
// by a parser thread the loader left behind after stopping early), so it
// lives as long as the last of them.
class ByteFeed {
 public:
  explicit ByteFeed(size_t capacity) : capacity_(capacity) {}

  // Adds bytes of source `index`; false once the reader has gone.
  bool Push(uint32_t index, std::string data) {
    if (data.empty()) return !reader_gone();  // an empty read would mean "end of source"
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return reader_gone_ || buffered_ < capacity_; });
    if (reader_gone_) return false;
    buffered_ += data.size();
    chunks_.push_back({index, std::move(data)});
    changed_.notify_all();
    return true;
  }

  // The writer is done: the normal end of every source, or a failure that
  // the reader sees instead of the rest.
  void CloseWriting(Status failure = Status::OK()) {
    std::lock_guard lock(mu_);
    writer_done_ = true;
    failure_ = std::move(failure);
    changed_.notify_all();
  }

  // The reader (the loader) stopped: pushes fail from now on.
  void CloseReading() {
    std::lock_guard lock(mu_);
    reader_gone_ = true;
    chunks_.clear();
    changed_.notify_all();
  }

  bool reader_gone() const {
    std::lock_guard lock(mu_);
    return reader_gone_;
  }

  // Reads bytes of source `index`; 0 once that source has ended (a later
  // source's bytes are next, or the writer is done).
  Result<size_t> Read(uint32_t index, char* buf, size_t capacity) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return !chunks_.empty() || writer_done_ || reader_gone_; });
    if (chunks_.empty() || reader_gone_) {
      if (!failure_.ok()) return failure_;
      return size_t{0};
    }
    Chunk& head = chunks_.front();
    if (head.index != index) return size_t{0};
    size_t n = std::min(capacity, head.data.size() - head.offset);
    std::memcpy(buf, head.data.data() + head.offset, n);
    head.offset += n;
    if (head.offset == head.data.size()) {
      buffered_ -= head.data.size();
      chunks_.pop_front();
      changed_.notify_all();
    }
    return n;
  }

 private:
  struct Chunk {
    uint32_t index;
    std::string data;
    size_t offset = 0;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Chunk> chunks_;
  size_t buffered_ = 0;
  bool writer_done_ = false;
  bool reader_gone_ = false;
  Status failure_;
};

// Constant-time comparison, so a wrong token's timing says nothing about
// how much of it was right.
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ (i < b.size() ? b[i] : 0);
  return diff == 0;
}

}  // namespace

class Server::Service final : public v1::DyadService::Service {
 public:
  Service(EmbeddedBackend& backend, const ServerOptions& options)
      : backend_(backend), options_(options) {}

  grpc::Status LoadFacts(ServerContext* ctx, grpc::ServerReader<v1::LoadFactsRequest>* reader,
                         v1::LoadSummary* response) override {
    return Serve(ctx, "LoadFacts", Access::kWrite, [&]() -> grpc::Status {
      // Loads take turns; each one waiting holds a server thread, so only a
      // few may wait, and queries always find a thread.
      struct Turn {
        std::atomic<int>& loads;
        ~Turn() { --loads; }
      } turn{loads_};
      if (++loads_ > kMaxLoads) {
        return ToGrpcStatus(Status::ResourceExhausted(fmt::format(
            "{} loads are running or waiting already; try again when one is done", kMaxLoads)));
      }
      v1::LoadFactsRequest message;
      storage::LoadSummary summary;
      if (!reader->Read(&message)) {  // an empty stream loads nothing
        *response = ToProto(summary);
        return grpc::Status::OK;
      }
      Result<storage::LoadOptions> options = FromProto(message.options());
      if (!options.ok()) return ToGrpcStatus(options.status());
      std::vector<std::string> names(message.sources().begin(), message.sources().end());
      if (names.empty()) names.push_back("<stream>");

      auto feed = std::make_shared<ByteFeed>(size_t{16} << 20);
      std::vector<storage::LoadInput> inputs;
      for (uint32_t i = 0; i < names.size(); ++i) {
        inputs.push_back({names[i], -1, [feed, i](char* buf, size_t capacity) {
                            return feed->Read(i, buf, capacity);
                          }});
      }
      options->on_commit = options_.on_commit;
      Status loaded;
      std::thread loader([&] {
        loaded = backend_.Load(inputs, *options, &summary);
        feed->CloseReading();
      });
      // This thread reads the stream into the feed until the client is done
      // or the loader stops (a bad line without skip_bad).
      Status stream_error;
      uint32_t current = 0;
      for (bool more = true; more;) {
        if (message.source_index() < current || message.source_index() >= names.size()) {
          stream_error = Status::InvalidArgument(
              fmt::format("source_index: {} after {}; sources go in order, below {}",
                          message.source_index(), current, names.size()));
          break;
        }
        current = message.source_index();
        if (!feed->Push(current, std::move(*message.mutable_data()))) break;
        more = reader->Read(&message);
        if (!more && StreamBroke(*ctx)) {
          stream_error = Status::FromCode(
              StatusCode::kCancelled,
              "the stream broke (cancelled, or a message over the size limit); the chunks "
              "committed before stay");
        }
      }
      // A broken stream must not reach the loader as a clean end: the
      // chunk in progress would be committed with a cut-off last line.
      feed->CloseWriting(stream_error);
      loader.join();
      ErrorExtras extras;
      extras.load_summary = summary;
      if (!stream_error.ok()) return ToGrpcStatus(stream_error, extras);
      if (!loaded.ok()) return ToGrpcStatus(loaded, extras);
      *response = ToProto(summary);
      return grpc::Status::OK;
    });
  }

  grpc::Status UpsertEntity(ServerContext* ctx, const v1::UpsertEntityRequest* request,
                            v1::Node* response) override {
    return Serve(ctx, "UpsertEntity", Access::kWrite, [&]() -> grpc::Status {
      Result<storage::Node> entity = FromProto(*request);
      if (!entity.ok()) return ToGrpcStatus(entity.status());
      Result<storage::Node> node = backend_.UpsertEntity(*entity, request->sync());
      if (!node.ok()) return ToGrpcStatus(node.status());
      *response = ToProto(*node);
      return grpc::Status::OK;
    });
  }

  grpc::Status Find(ServerContext* ctx, const v1::FindRequest* request,
                    v1::FindResponse* response) override {
    return Serve(ctx, "Find", Access::kRead, [&]() -> grpc::Status {
      if (request->name().empty()) {
        return ToGrpcStatus(Status::InvalidArgument("name: is required"));
      }
      Result<std::vector<storage::Node>> matches = backend_.Find(request->name(), request->label());
      if (!matches.ok()) return ToGrpcStatus(matches.status());
      for (const auto& n : *matches) *response->add_matches() = ToProto(n);
      return grpc::Status::OK;
    });
  }

  grpc::Status GetFacts(ServerContext* ctx, const v1::GetFactsRequest* request,
                        v1::GetFactsResponse* response) override {
    return Query(ctx, "GetFacts", *request, response,
                 [&](FactsRequest& r) { return backend_.Facts(r); });
  }

  grpc::Status Neighbourhood(ServerContext* ctx, const v1::NeighbourhoodRequest* request,
                             v1::NeighbourhoodResponse* response) override {
    return Query(ctx, "Neighbourhood", *request, response,
                 [&](NeighboursRequest& r) { return backend_.Neighbours(r); });
  }

  grpc::Status Paths(ServerContext* ctx, const v1::PathsRequest* request,
                     v1::PathsResponse* response) override {
    return Query(ctx, "Paths", *request, response,
                 [&](PathsRequest& r) { return backend_.Paths(r); });
  }

  grpc::Status DyadTimeline(ServerContext* ctx, const v1::DyadTimelineRequest* request,
                            v1::DyadTimelineResponse* response) override {
    return Query(ctx, "DyadTimeline", *request, response,
                 [&](DyadRequest& r) { return backend_.Dyad(r); });
  }

  grpc::Status Export(ServerContext* ctx, const v1::ExportRequest* request,
                      grpc::ServerWriter<v1::ExportChunk>* writer) override {
    return Serve(ctx, "Export", Access::kRead, [&]() -> grpc::Status {
      auto parsed = ParseWithCallLimits(ctx, *request);
      if (!parsed.ok()) return ToGrpcStatus(parsed.status());
      // Its pieces are allocated, sent and freed in an arena of their own
      // (service/export_arena.h).
      ExportArenaScope arena;
      // One chunk per piece of the export (about 64 KiB each).
      v1::ExportChunk chunk;
      auto send = [&]() -> Status {
        if (ctx->IsCancelled()) {
          return Status::FromCode(StatusCode::kCancelled, "the client cancelled the export");
        }
        if (!writer->Write(chunk)) {
          return Status::FromCode(StatusCode::kCancelled, "the client went away");
        }
        chunk.Clear();
        return Status::OK();
      };
      Result<ExportSummary> summary =
          backend_.Export(*parsed, [&](std::string_view file, std::string_view data) {
            // Assigned, not set from a new string: the chunk's buffers are
            // reused from piece to piece.
            chunk.mutable_file()->assign(file);
            chunk.mutable_data()->assign(data);
            return send();
          });
      if (!summary.ok()) {
        ErrorExtras extras;
        extras.candidates = backend_.CandidatesOf(summary.status());
        return ToGrpcStatus(summary.status(), extras);
      }
      *chunk.mutable_summary() = ToProto(*summary);
      return ToGrpcStatus(send());
    });
  }

  grpc::Status Backup(ServerContext* ctx, const v1::BackupRequest* request,
                      v1::BackupResponse* response) override {
    return Serve(ctx, "Backup", Access::kWrite, [&]() -> grpc::Status {
      if (request->dest().empty()) {
        return ToGrpcStatus(Status::InvalidArgument("dest: is required"));
      }
      Result<uint64_t> sequence = backend_.Backup(request->dest());
      if (!sequence.ok()) return ToGrpcStatus(sequence.status());
      response->set_sequence(*sequence);
      return grpc::Status::OK;
    });
  }

  grpc::Status Stats(ServerContext* ctx, const v1::StatsRequest*,
                     v1::StatsResponse* response) override {
    return Serve(ctx, "Stats", Access::kRead, [&]() -> grpc::Status {
      Result<storage::Stats> stats = backend_.Stats();
      if (!stats.ok()) return ToGrpcStatus(stats.status());
      *response = ToProto(*stats);
      return grpc::Status::OK;
    });
  }

 private:
  // Every call goes through here: the token check, then the body, then
  // one log line.
  template <class Body>
  grpc::Status Serve(ServerContext* ctx, std::string_view method, Access access, Body&& body) {
    const auto start = std::chrono::steady_clock::now();
    Status allowed = Authorize(*ctx, access);
    grpc::Status status = allowed.ok() ? body() : ToGrpcStatus(allowed);
    if (options_.log && !(status.ok() && options_.log_failures_only)) {
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      options_.log(
          fmt::format("call dyad.v1.DyadService/{} {} {:.3f} ms peer={}{}", method,
                      GrpcCodeName(status.error_code()), ms, ctx->peer(),
                      status.ok() ? "" : fmt::format(" message={:?}", status.error_message())));
    }
    return status;
  }

  // The queries: request checked, the call's deadline and cancellation
  // handed down, the answer or the error (with the candidates of an
  // ambiguous name) sent back.
  // A request checked, its filters bounded by the call's deadline and
  // stopped when the call is cancelled.
  template <class Request>
  static decltype(FromProto(std::declval<const Request&>())) ParseWithCallLimits(
      ServerContext* ctx, const Request& request) {
    auto parsed = FromProto(request);
    if (!parsed.ok()) return parsed;
    QueryFilters& filters = parsed->filters;
    const auto call_deadline = ctx->deadline();
    if (call_deadline != std::chrono::system_clock::time_point::max()) {
      filters.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            call_deadline - std::chrono::system_clock::now());
    }
    filters.cancelled = [ctx] { return ctx->IsCancelled(); };
    return parsed;
  }

  template <class Request, class Response, class Run>
  grpc::Status Query(ServerContext* ctx, std::string_view method, const Request& request,
                     Response* response, Run&& run) {
    return Serve(ctx, method, Access::kRead, [&]() -> grpc::Status {
      auto parsed = ParseWithCallLimits(ctx, request);
      if (!parsed.ok()) return ToGrpcStatus(parsed.status());
      auto answer = run(*parsed);
      if (!answer.ok()) {
        ErrorExtras extras;
        extras.candidates = backend_.CandidatesOf(answer.status());
        return ToGrpcStatus(answer.status(), extras);
      }
      *response = ToProto(std::move(*answer));
      return grpc::Status::OK;
    });
  }

  Status Authorize(const ServerContext& ctx, Access access) const {
    if (options_.token.empty() || (access == Access::kRead && !options_.token_reads)) {
      return Status::OK();
    }
    const auto& metadata = ctx.client_metadata();
    auto it = metadata.find("authorization");
    if (it == metadata.end()) {
      return Status::FromCode(StatusCode::kUnauthenticated,
                              "this server needs a token: send `authorization: Bearer <token>`");
    }
    std::string_view value(it->second.data(), it->second.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (!value.starts_with(kBearer) || !SameSecret(value.substr(kBearer.size()), options_.token)) {
      return Status::FromCode(StatusCode::kUnauthenticated, "the token is not this server's");
    }
    return Status::OK();
  }

  // Whether a stream whose Read() just returned false broke rather than
  // ended. Both look alike to Read(); a broken call shows as cancelled
  // once gRPC has finished it, which takes a moment after the failed read.
  static bool StreamBroke(ServerContext& ctx) {
    for (int i = 0; i < 25; ++i) {
      if (ctx.IsCancelled()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return ctx.IsCancelled();
  }

  static std::string_view GrpcCodeName(grpc::StatusCode code) {
    static constexpr std::string_view kNames[] = {"OK",
                                                  "CANCELLED",
                                                  "UNKNOWN",
                                                  "INVALID_ARGUMENT",
                                                  "DEADLINE_EXCEEDED",
                                                  "NOT_FOUND",
                                                  "ALREADY_EXISTS",
                                                  "PERMISSION_DENIED",
                                                  "RESOURCE_EXHAUSTED",
                                                  "FAILED_PRECONDITION",
                                                  "ABORTED",
                                                  "OUT_OF_RANGE",
                                                  "UNIMPLEMENTED",
                                                  "INTERNAL",
                                                  "UNAVAILABLE",
                                                  "DATA_LOSS",
                                                  "UNAUTHENTICATED"};
    const auto i = static_cast<size_t>(code);
    return i < std::size(kNames) ? kNames[i] : "UNKNOWN";
  }

  // LoadFacts calls running or waiting for their turn.
  static constexpr int kMaxLoads = 8;
  std::atomic<int> loads_ = 0;
  EmbeddedBackend& backend_;
  const ServerOptions options_;
};

Result<std::unique_ptr<Server>> Server::Start(EmbeddedBackend& backend,
                                              const ServerOptions& options) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (!options.tls_cert_pem.empty() || !options.tls_key_pem.empty()) {
    if (options.tls_cert_pem.empty() || options.tls_key_pem.empty()) {
      return Status::InvalidArgument("--tls-cert and --tls-key go together");
    }
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<Server> server(new Server());
  server->service_ = std::make_unique<Service>(backend, options);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.SetMaxSendMessageSize(options.max_send_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  // gRPC sets SO_REUSEPORT by default: a second server on a port taken
  // would share it (and its calls) instead of failing to listen.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // gRPC's synchronous server keeps only its pollers' threads; one made for
  // a burst of calls exits after its call, and thread churn cost more than
  // a small query. Keep enough pollers for the clients a server has.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.max_pollers);
  grpc::ResourceQuota quota("dyad");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return Status::IOError(fmt::format(
        "cannot listen on {} (in use, not an address of this machine, or TLS material gRPC "
        "refused?)",
        options.listen));
  }
  // Health: the whole server, and the service by name.
  if (auto* health = server->server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus(v1::DyadService::service_full_name(), true);
  }
  return server;
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (!server_) return;
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
}

Server::~Server() { Shutdown(std::chrono::milliseconds(0)); }

}  // namespace dyad::service
