// RemoteBackend: the Backend of the command line's --server mode. Each
// question becomes one dyad.v1 RPC, and each answer comes back as the view
// an embedded store would have given, so the command line prints the same
// bytes either way. Files to load are read here and streamed to the server.
// Errors: the server's Status as it was (grpc_status.h); Unavailable when
// the server cannot be reached, Unauthenticated without the right token.
// One RemoteBackend per command; not thread-safe.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "service/backend.h"

namespace dyad::service {

struct RemoteOptions {
  std::string address;  // host:port
  std::string token;    // sent as `authorization: Bearer <token>` when set
  // PEM of the certificate authority to trust; set: connect with TLS.
  std::string tls_ca_pem;
};

class RemoteBackend final : public Backend {
 public:
  explicit RemoteBackend(const RemoteOptions& options);
  ~RemoteBackend() override;

  Status Load(const std::vector<storage::LoadInput>& inputs, const storage::LoadOptions& options,
              storage::LoadSummary* summary) override;
  Result<std::vector<storage::Node>> Find(const std::string& name,
                                          const std::string& label) override;
  Result<FactsView> Facts(const FactsRequest& request) override;
  Result<NeighboursView> Neighbours(const NeighboursRequest& request) override;
  Result<PathsView> Paths(const PathsRequest& request) override;
  Result<DyadView> Dyad(const DyadRequest& request) override;
  Result<storage::Stats> Stats() override;
  Result<ExportSummary> Export(const ExportRequest& request, const ExportSink& sink) override;
  Result<uint64_t> Backup(const std::string& dest) override;
  std::vector<storage::Node> CandidatesOf(const Status& status) override;

 private:
  class Stub;
  std::unique_ptr<Stub> stub_;
  RemoteOptions options_;
  std::vector<storage::Node> last_candidates_;  // of the last Ambiguous answer
};

}  // namespace dyad::service
