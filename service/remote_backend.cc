#include "service/remote_backend.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "dyad/v1/dyad.grpc.pb.h"
#include "service/grpc_status.h"
#include "service/proto_convert.h"

namespace dyad::service {

// Bytes per LoadFacts message: big enough to amortise a message, well
// under the server's receive limit.
constexpr size_t kLoadChunkBytes = 1 << 20;

class RemoteBackend::Stub {
 public:
  explicit Stub(const RemoteOptions& options) {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (!options.tls_ca_pem.empty()) {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = options.tls_ca_pem;
      credentials = grpc::SslCredentials(ssl);
    } else {
      credentials = grpc::InsecureChannelCredentials();
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);  // the server caps what it sends
    args.SetMaxSendMessageSize(-1);
    stub = v1::DyadService::NewStub(grpc::CreateCustomChannel(options.address, credentials, args));
  }
  std::unique_ptr<v1::DyadService::Stub> stub;
};

RemoteBackend::RemoteBackend(const RemoteOptions& options)
    : stub_(std::make_unique<Stub>(options)), options_(options) {}

RemoteBackend::~RemoteBackend() = default;

namespace {

void Prepare(grpc::ClientContext& ctx, const RemoteOptions& options) {
  if (!options.token.empty()) ctx.AddMetadata("authorization", "Bearer " + options.token);
}

// A failed call's Status; the server's own errors pass through unchanged,
// gRPC's (no connection) name the server.
Status Failure(const grpc::Status& status, const RemoteOptions& options, ErrorExtras* extras) {
  Status s = FromGrpcStatus(status, extras);
  if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded) {
    return s.WithContext(fmt::format("server {}", options.address));
  }
  return s;
}

}  // namespace

Status RemoteBackend::Load(const std::vector<storage::LoadInput>& inputs,
                           const storage::LoadOptions& options, storage::LoadSummary* summary) {
  *summary = storage::LoadSummary{};
  grpc::ClientContext ctx;
  Prepare(ctx, options_);
  v1::LoadSummary response;
  std::unique_ptr<grpc::ClientWriter<v1::LoadFactsRequest>> writer =
      stub_->stub->LoadFacts(&ctx, &response);
  v1::LoadFactsRequest message;
  message.mutable_options()->set_skip_bad(options.skip_bad);
  message.mutable_options()->set_sync(options.sync);
  message.mutable_options()->set_batch(options.batch_records);
  for (const auto& in : inputs) message.add_sources(in.name);
  Status read_error;
  bool open = true;
  std::string buf(kLoadChunkBytes, '\0');
  // Progress as far as this side knows it: lines and bytes sent.
  storage::LoadProgress progress;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& in : inputs) {
    struct stat st;
    if (::fstat(in.fd, &st) == 0 && S_ISREG(st.st_mode)) {
      progress.bytes_total += static_cast<uint64_t>(st.st_size);
    }
  }
  for (uint32_t i = 0; i < inputs.size() && open && read_error.ok(); ++i) {
    for (;;) {
      ssize_t n;
      do {
        n = ::read(inputs[i].fd, buf.data(), buf.size());
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        read_error = Status::IOError(fmt::format("{}: {}", inputs[i].name, std::strerror(errno)));
        break;
      }
      if (n == 0) break;
      message.set_source_index(i);
      message.set_data(buf.data(), static_cast<size_t>(n));
      if (options.on_progress) {
        progress.lines += static_cast<uint64_t>(std::count(buf.data(), buf.data() + n, '\n'));
        progress.bytes_read += static_cast<uint64_t>(n);
        progress.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        options.on_progress(progress);
      }
      // False: the server has answered already (it stopped at a bad line).
      if (!writer->Write(message)) {
        open = false;
        break;
      }
      message.clear_options();
      message.clear_sources();
    }
  }
  if (!read_error.ok()) {
    // The server must not take a cut-off input for a whole one.
    ctx.TryCancel();
    writer->Finish().ok();
    return read_error;
  }
  if (open && !message.has_options()) {
    writer->WritesDone();
  } else if (open) {
    writer->Write(message);  // every input empty: still tell the server how to load
    writer->WritesDone();
  }
  grpc::Status status = writer->Finish();
  if (status.ok()) {
    *summary = FromProto(response);
    return Status::OK();
  }
  ErrorExtras extras;
  Status s = Failure(status, options_, &extras);
  if (extras.load_summary) *summary = *extras.load_summary;
  return s;
}

Result<std::vector<storage::Node>> RemoteBackend::Find(const std::string& name,
                                                       const std::string& label) {
  grpc::ClientContext ctx;
  Prepare(ctx, options_);
  v1::FindRequest request;
  request.set_name(name);
  request.set_label(label);
  v1::FindResponse response;
  grpc::Status status = stub_->stub->Find(&ctx, request, &response);
  if (!status.ok()) return Failure(status, options_, nullptr);
  std::vector<storage::Node> matches;
  for (const auto& n : response.matches()) matches.push_back(FromProto(n));
  return matches;
}

namespace {

// A failed call's Status; an ambiguous name's candidates go to *candidates.
Status FailureNotingCandidates(const grpc::Status& status, const RemoteOptions& options,
                               std::vector<storage::Node>* candidates) {
  ErrorExtras extras;
  Status s = Failure(status, options, &extras);
  *candidates = std::move(extras.candidates);
  return s;
}

// One unary query: request out, view back.
template <class View, class Request, class Response, class Method>
Result<View> Ask(const RemoteOptions& options, std::vector<storage::Node>* candidates,
                 const Request& request, Method method) {
  grpc::ClientContext ctx;
  Prepare(ctx, options);
  Response response;
  grpc::Status status = method(&ctx, request, &response);
  if (!status.ok()) return FailureNotingCandidates(status, options, candidates);
  return FromProto(response);
}

}  // namespace

Result<FactsView> RemoteBackend::Facts(const FactsRequest& request) {
  return Ask<FactsView, v1::GetFactsRequest, v1::GetFactsResponse>(
      options_, &last_candidates_, ToProto(request),
      [&](auto* ctx, const auto& r, auto* out) { return stub_->stub->GetFacts(ctx, r, out); });
}

Result<NeighboursView> RemoteBackend::Neighbours(const NeighboursRequest& request) {
  return Ask<NeighboursView, v1::NeighbourhoodRequest, v1::NeighbourhoodResponse>(
      options_, &last_candidates_, ToProto(request),
      [&](auto* ctx, const auto& r, auto* out) { return stub_->stub->Neighbourhood(ctx, r, out); });
}

Result<PathsView> RemoteBackend::Paths(const PathsRequest& request) {
  return Ask<PathsView, v1::PathsRequest, v1::PathsResponse>(
      options_, &last_candidates_, ToProto(request),
      [&](auto* ctx, const auto& r, auto* out) { return stub_->stub->Paths(ctx, r, out); });
}

Result<DyadView> RemoteBackend::Dyad(const DyadRequest& request) {
  return Ask<DyadView, v1::DyadTimelineRequest, v1::DyadTimelineResponse>(
      options_, &last_candidates_, ToProto(request),
      [&](auto* ctx, const auto& r, auto* out) { return stub_->stub->DyadTimeline(ctx, r, out); });
}

Result<storage::Stats> RemoteBackend::Stats() {
  grpc::ClientContext ctx;
  Prepare(ctx, options_);
  v1::StatsResponse response;
  grpc::Status status = stub_->stub->Stats(&ctx, v1::StatsRequest(), &response);
  if (!status.ok()) return Failure(status, options_, nullptr);
  return FromProto(response);
}

Result<ExportSummary> RemoteBackend::Export(const ExportRequest& request, const ExportSink& sink) {
  grpc::ClientContext ctx;
  Prepare(ctx, options_);
  std::unique_ptr<grpc::ClientReader<v1::ExportChunk>> reader =
      stub_->stub->Export(&ctx, ToProto(request));
  v1::ExportChunk chunk;
  std::optional<ExportSummary> summary;
  Status written;
  while (written.ok() && reader->Read(&chunk)) {
    if (!chunk.data().empty()) written = sink(chunk.file(), chunk.data());
    if (chunk.has_summary()) summary = FromProto(chunk.summary());
  }
  if (!written.ok()) {
    ctx.TryCancel();  // stop the server's work; the sink's failure is the answer
    reader->Finish().ok();
    return written;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FailureNotingCandidates(status, options_, &last_candidates_);
  if (!summary) return Status::Internal("the server ended the export without its summary");
  return *summary;
}

Result<uint64_t> RemoteBackend::Backup(const std::string& dest) {
  grpc::ClientContext ctx;
  Prepare(ctx, options_);
  v1::BackupRequest request;
  request.set_dest(dest);
  v1::BackupResponse response;
  grpc::Status status = stub_->stub->Backup(&ctx, request, &response);
  if (!status.ok()) return Failure(status, options_, nullptr);
  return response.sequence();
}

std::vector<storage::Node> RemoteBackend::CandidatesOf(const Status& status) {
  if (!status.IsAmbiguous()) return {};
  return last_candidates_;
}

}  // namespace dyad::service
