#!/usr/bin/env python3
"""A dyad.v1 client: loads a facts file into a dyad server, then asks it a
path, a dyad timeline and an ambiguous name. docs/clients.md explains it.

Generate the stubs first (they are not in the repository), then:
  PYTHONPATH=$STUBS python3 docs/examples/client.py HOST:PORT \
      [--token T] [--tls-ca ca.pem] [--facts FILE]
"""
import argparse
import os
import sys

import grpc

try:
    from dyad.v1 import dyad_pb2 as pb
    from dyad.v1 import dyad_pb2_grpc as rpc
except ImportError as e:
    sys.exit(f"client.py: {e}; generate the stubs and put them on PYTHONPATH "
             "(docs/clients.md)")

SEED_FACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "..", "..", "tests", "data", "seeds", "facts.jsonl")


def connect(address, tls_ca):
    # gRPC clients take at most 4 MiB per answer by default; a dyad server
    # sends up to 256 MiB.
    options = [("grpc.max_receive_message_length", 256 << 20)]
    if tls_ca:
        with open(tls_ca, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        return grpc.secure_channel(address, credentials, options)
    return grpc.insecure_channel(address, options)


def load_requests(path, chunk_bytes):
    """The LoadFacts stream: options and source names first, then bytes.
    Chunks may end mid-line; each must stay under the server's 16 MiB. The
    first message carries the first chunk too, and no message has empty
    data (docs/clients.md says why)."""
    with open(path, "rb") as f:
        data = f.read(chunk_bytes)
        yield pb.LoadFactsRequest(options=pb.LoadOptions(skip_bad=False),
                                  sources=[os.path.basename(path)],
                                  source_index=0, data=data)
        while data := f.read(chunk_bytes):
            yield pb.LoadFactsRequest(source_index=0, data=data)


def error_info(err):
    """The dyad.v1.ErrorInfo in a failed call's grpc-status-details-bin
    trailer (an ErrorDetails, shaped as google.rpc.Status), or None."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in pb.ErrorDetails.FromString(value).details:
                info = pb.ErrorInfo()
                if detail.Unpack(info):
                    return info
    return None


def print_error(err, out=sys.stdout):
    print(f"{err.code().name}: {err.details()}", file=out)
    info = error_info(err)
    if info is None:  # gRPC's own errors (no connection, deadline) have none
        return
    print(f"ErrorInfo code {info.code}", file=out)
    for node in info.candidates:
        print(f"  candidate {node.id} ({node.name})", file=out)
    if info.HasField("load_summary"):
        s = info.load_summary
        print(f"  committed_lines {s.committed_lines}", file=out)
        for bad in s.bad_lines:
            print(f"  {bad.file}:{bad.line}: {bad.field}: {bad.reason}", file=out)


def count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def fact_line(fact):
    when = f" from {fact.valid_from}" if fact.valid_from else ""
    return (f"{fact.subject.name} {fact.predicate} {fact.object.name}{when}"
            f" (confidence {fact.confidence:g}, {count(len(fact.sources), 'source')})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address", help="the server, HOST:PORT")
    parser.add_argument("--token", help="the server's token (for LoadFacts)")
    parser.add_argument("--tls-ca", help="connect with TLS, trusting this CA (PEM)")
    parser.add_argument("--facts", default=SEED_FACTS, help="the JSON Lines file to load")
    parser.add_argument("--chunk-bytes", type=int, default=1 << 20,
                        help="bytes per LoadFacts message")
    parser.add_argument("--deadline", type=float, default=30, help="seconds per call")
    args = parser.parse_args()

    # Sent with every call; the server checks it on writes only, or on every
    # call when it runs with --token-reads.
    metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
    with connect(args.address, args.tls_ca) as channel:
        stub = rpc.DyadServiceStub(channel)
        call = {"timeout": args.deadline, "metadata": metadata}
        try:
            print(f"== LoadFacts {os.path.basename(args.facts)}")
            s = stub.LoadFacts(load_requests(args.facts, args.chunk_bytes), **call)
            print(f"lines {s.lines}, entities {s.entities}, facts_added {s.facts_added}, "
                  f"facts_corroborated {s.facts_corroborated}, "
                  f"facts_unchanged {s.facts_unchanged}, "
                  f"committed_lines {s.committed_lines}, bad_lines {len(s.bad_lines)}")

            # `from` is a Python keyword: pass it through a dict, read it
            # with getattr(answer, "from").
            a, b = "Sergey Lavrov", "Ashfaq Parvez Kayani"
            print(f"== Paths {a} -> {b}")
            paths = stub.Paths(pb.PathsRequest(**{"from": a}, to=b), **call)
            if not paths.HasField("hops"):
                print("no path")
            else:
                print(f"{count(paths.hops, 'hop')}, {count(len(paths.paths), 'path')}")
            for i, path in enumerate(paths.paths, 1):
                print(f"{i}. " + " - ".join(n.name for n in path.nodes))
                for step in path.steps:
                    for fact in step.facts:
                        print("   " + fact_line(fact))

            a, b = "Russia", "Pakistan"
            print(f"== DyadTimeline {a} - {b} by month")
            dyad = stub.DyadTimeline(
                pb.DyadTimelineRequest(a=a, b=b, by=pb.PERIOD_MONTH, omit_facts=True), **call)
            names = {pb.DYAD_DIRECTION_A_TO_B: f"{dyad.a.name} -> {dyad.b.name}",
                     pb.DYAD_DIRECTION_B_TO_A: f"{dyad.b.name} -> {dyad.a.name}"}
            row = "{:8} {:20} {:>6} {:>10}"
            print(row.format("period", "direction", "events", "goldstein"))
            for bucket in dyad.buckets:
                print(row.format(bucket.period, names[bucket.direction], bucket.events,
                                 f"{bucket.goldstein:+.1f}"))
            for direction, totals in ((pb.DYAD_DIRECTION_A_TO_B, dyad.a_to_b),
                                      (pb.DYAD_DIRECTION_B_TO_A, dyad.b_to_a)):
                print(row.format("total", names[direction], totals.events,
                                 f"{totals.goldstein:+.1f}"))
        except grpc.RpcError as err:
            print_error(err, sys.stderr)
            return 1

        # An ambiguous name fails FAILED_PRECONDITION; the candidates come
        # in the ErrorInfo.
        print("== GetFacts Moscow")
        try:
            facts = stub.GetFacts(pb.GetFactsRequest(node="Moscow"), **call)
            print(f"{facts.node.id}: {len(facts.facts)} facts")
        except grpc.RpcError as err:
            print_error(err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
