// The dyad.v1 gRPC server (`dyad serve`): serves one store, held by an
// EmbeddedBackend, to many clients at once. Queries run concurrently on the
// shared snapshot while a load streams in (loads take turns). Health
// checking (grpc.health.v1) and server reflection are on.
//   DYAD_ASSIGN_OR_RETURN(auto server, Server::Start(backend, options));
//   ... server->Shutdown(std::chrono::seconds(30));
// Every call is logged (method, status, duration) through options.log.
// A call's deadline and cancellation reach the query layer: a query whose
// client has gone or whose deadline passed stops, it does not run on.
#pragma once

#include <grpcpp/server.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "service/embedded_backend.h"
#include "storage/status.h"

namespace dyad::service {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free one (see Server::port()).
  std::string listen = "127.0.0.1:0";
  // When set, writes (LoadFacts, UpsertEntity) need the metadata
  // `authorization: Bearer <token>`; with token_reads, every call does
  // (health checks and reflection aside).
  std::string token;
  bool token_reads = false;
  // PEM contents; both set: serve TLS only.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // The largest request message (a LoadFacts chunk, a query). Larger ones
  // fail RESOURCE_EXHAUSTED. Default: 16 MiB
  int max_receive_bytes = 16 << 20;
  // The largest answer; a bigger one fails RESOURCE_EXHAUSTED (ask with a
  // smaller limit). Default: 256 MiB
  int max_send_bytes = 256 << 20;
  // Calls in flight on one connection (HTTP/2 streams); more wait.
  // Default: 100
  int max_concurrent_streams = 100;
  // Threads serving calls at most: each call in flight holds one, and a
  // call beyond them fails RESOURCE_EXHAUSTED. Loads take at most 8 (one
  // running, the rest waiting). Default: 256
  int max_threads = 256;
  // Threads kept waiting for calls between them (gRPC's pollers); calls
  // beyond them get a thread made for the call. Default: 32
  int max_pollers = 32;
  // Told of each chunk a LoadFacts call commits, on the loading thread
  // (`dyad serve --ack-log`); an error it returns stops that load. Empty:
  // nothing is told.
  std::function<Status(const storage::ChunkCommitted&)> on_commit;
  // Receives one line per call; empty: no call log.
  std::function<void(std::string_view line)> log;
  // Log only the calls that failed.
  bool log_failures_only = false;
};

class Server {
 public:
  // Starts serving `backend`, which must outlive the server. Fails with
  // IOError if the address cannot be bound (or gRPC refuses the TLS
  // material), InvalidArgument for a certificate without a key.
  static Result<std::unique_ptr<Server>> Start(EmbeddedBackend& backend,
                                               const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port bound (the one picked, for port 0).
  int port() const { return port_; }

  // Stops taking calls and waits for those in flight, cancelling what is
  // still running after `grace`. Loads cancelled so keep every chunk they
  // committed. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  class Service;
  Server() = default;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace dyad::service
