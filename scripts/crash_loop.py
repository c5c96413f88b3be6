#!/usr/bin/env python3
"""The crash loop behind scripts/crash-loop.sh (its header says how to run it).

Each cycle loads a generated fact file into a new store, embedded (`dyad
load`) or, every other cycle, through a server (`dyad serve`, fed by `dyad
load --server`), and kills the process that holds the store with SIGKILL at
a random moment. The loader writes each chunk the store committed to an ack
log (`--ack-log`, fsynced per line). Then:

  (a) the store opens, and (c) `dyad check` finds every fact with its nodes,
      index entries and sources, and the counters right;
  (b) the store equals, in its canonical dump, a store loaded without a
      crash from the first L records, where L is the last acknowledged
      chunk's committed_lines, or from the first L + batch records (the
      next chunk may have landed before its acknowledgement was written);
      nothing else, so a half chunk fails the check;
  (d) loading the same file again finishes the job: `dyad check` passes and
      the dump and `stats` equal those of a store loaded once, without a
      crash.

Records go to OUT/cycles.jsonl, a summary to OUT/summary.json and stdout.
A failing cycle keeps its store as OUT/failed-<cycle>/ and the loop goes on.
"""

import argparse
import json
import os
import random
import select
import shutil
import subprocess
import sys
import time

PREDICATES = ["MET", "VISITED", "CRITICIZED", "PRAISED", "SIGNED_AGREEMENT_WITH", "HOSTED",
              "THREATENED", "CONDEMNED", "COOPERATED_WITH", "NEGOTIATED_WITH"]
LABELS = ["Country", "Person", "Organization"]


def generate(path, records, seed):
    """A deterministic fact file of `records` lines: entities with aliases,
    then facts between them by name, alias or id, over a small key space so
    that many facts are corroborated by a second source."""
    rng = random.Random(seed)
    nodes = max(50, records // 30)
    entities = [(LABELS[i % 3], f"Node {i:05d}") for i in range(nodes)]
    lines = []
    for i, (label, name) in enumerate(entities[: nodes // 2]):
        e = {"kind": "entity", "label": label, "name": name, "aliases": [f"Alias {i:05d}"],
             "props": {"rank": i % 7}}
        lines.append(json.dumps(e))
    days = [f"20{y:02d}-{m:02d}-{d:02d}" for y in (10, 11, 12) for m in (1, 4, 7, 10) for d in (3, 17)]
    docs = max(10, records // 4)
    while len(lines) < records:
        s = rng.randrange(nodes)
        o = rng.randrange(nodes)
        label_s, name_s = entities[s]
        label_o, name_o = entities[o]
        subject = {"label": label_s, "name": name_s}
        if s < nodes // 2 and rng.random() < 0.3:
            subject = {"label": label_s, "name": f"Alias {s:05d}"}
        start = rng.choice(days)
        fact = {"kind": "fact", "subject": subject, "predicate": rng.choice(PREDICATES),
                "object": {"label": label_o, "name": name_o}, "valid_from": start,
                "confidence": round(rng.uniform(0.3, 1.0), 3),
                "source": {"doc": f"doc-{rng.randrange(docs):06d}", "outlet": "Generated",
                           "published": start}}
        if rng.random() < 0.2:
            fact["valid_to"] = "2013-01-01"
        lines.append(json.dumps(fact))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Dyad:
    def __init__(self, binary, sync):
        self.binary = binary
        self.sync = ["--sync"] if sync else []

    def run(self, *args, check=True):
        p = subprocess.run([self.binary, *args], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError(f"dyad {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
        return p

    def load(self, db, facts, batch):
        return self.run("--db", db, "--format", "json", "load", facts, "--batch", str(batch),
                        *self.sync)

    def check(self, db, dump):
        """(ok, report or error text)."""
        p = self.run("--db", db, "--format", "json", "check", "--dump", dump, check=False)
        try:
            report = json.loads(p.stdout.splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            return False, p.stderr.strip()
        if p.returncode != 0 or not report.get("ok"):
            return False, report.get("error", report.get("problems"))
        return True, report

    def stats(self, db):
        return self.run("--db", db, "--format", "json", "stats").stdout


def read_ack(path):
    """The last acknowledged chunk: (chunks, committed_lines)."""
    chunk, lines = 0, 0
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                chunk, lines = rec["chunk"], rec["committed_lines"]
    return chunk, lines


def start_server(dyad, db, ack):
    server = subprocess.Popen(
        [dyad.binary, "--db", db, "--format", "json", "serve", "--listen", "127.0.0.1:0",
         "--ack-log", ack, "--log", "off"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready, _, _ = select.select([server.stdout], [], [], 30)
    if not ready:
        server.kill()
        raise RuntimeError("dyad serve did not say where it listens within 30 s")
    return server, json.loads(server.stdout.readline())["listening"]


def start_load(dyad, mode, db, facts, batch, ack):
    """Starts a load; returns (process to kill, processes to reap)."""
    if mode == "embedded":
        p = subprocess.Popen([dyad.binary, "--db", db, "load", facts, "--batch", str(batch),
                              "--ack-log", ack, *dyad.sync],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return p, [p]
    server, address = start_server(dyad, db, ack)
    client = subprocess.Popen([dyad.binary, "--server", address, "load", facts, "--batch",
                               str(batch), *dyad.sync],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return server, [server, client]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cycles", type=int)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--records", type=int, default=60000)
    ap.add_argument("--batches", default="500,2500,25000")
    ap.add_argument("--sync", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "prefix"))
    facts = os.path.join(out, "facts.jsonl")
    generate(facts, args.records, args.seed)
    with open(facts) as f:
        all_lines = f.readlines()
    records = len(all_lines)
    dyad = Dyad(os.path.abspath(args.bin), args.sync)
    batches = [int(b) for b in args.batches.split(",")]
    rng = random.Random(args.seed)

    def prefix_dump(n):
        """The canonical dump of a store loaded from the first n records,
        without a crash (None for n = 0: no store, or an empty one)."""
        if n == 0:
            return None
        path = os.path.join(out, "prefix", f"{n}.dump")
        if not os.path.exists(path):
            text = os.path.join(out, "prefix", f"{n}.jsonl")
            with open(text, "w") as f:
                f.writelines(all_lines[:n])
            db = os.path.join(out, "prefix", f"{n}.store")
            dyad.load(db, text, 50000)
            ok, report = dyad.check(db, path)
            if not ok:
                raise RuntimeError(f"a store loaded without a crash fails its check: {report}")
            shutil.rmtree(db)
            os.remove(text)
        with open(path) as f:
            return f.read()

    reference = prefix_dump(records)
    reference_db = os.path.join(out, "reference.store")
    dyad.load(reference_db, facts, 50000)
    reference_stats = dyad.stats(reference_db)
    shutil.rmtree(reference_db)

    # When a whole load first commits and when it ends, per mode and batch:
    # kills land between half the first and 1.05 x the end, so that most
    # interrupt the load, some come before any chunk and a few after all.
    durations = {}

    def duration(mode, batch):
        if (mode, batch) not in durations:
            db = os.path.join(out, "calibrate.store")
            ack = os.path.join(out, "calibrate.ack")
            start = time.monotonic()
            first_ack = None
            victim, procs = start_load(dyad, mode, db, facts, batch, ack)
            while procs[-1].poll() is None:
                if first_ack is None and os.path.exists(ack) and os.path.getsize(ack) > 0:
                    first_ack = time.monotonic() - start
                time.sleep(0.002)
            end = time.monotonic() - start
            durations[(mode, batch)] = (first_ack if first_ack is not None else 0, end)
            for p in procs:
                p.kill()
                p.wait()
            shutil.rmtree(db, ignore_errors=True)
            os.remove(ack)
        return durations[(mode, batch)]

    results = []
    log = open(os.path.join(out, "cycles.jsonl"), "w")
    for cycle in range(1, args.cycles + 1):
        mode = "embedded" if cycle % 2 else "server"
        batch = rng.choice(batches)
        first_ack, end = duration(mode, batch)
        kill_after = rng.uniform(0.5 * first_ack, 1.05 * end)
        db = os.path.join(out, "store")
        ack = os.path.join(out, "ack.jsonl")
        shutil.rmtree(db, ignore_errors=True)
        if os.path.exists(ack):
            os.remove(ack)
        problems = []
        victim, procs = start_load(dyad, mode, db, facts, batch, ack)
        time.sleep(kill_after)
        finished = victim.poll() is not None if mode == "embedded" else procs[-1].poll() is not None
        victim.kill()
        for p in procs:
            p.wait()
        chunks, acked = read_ack(ack)

        # (a), (c): the store opens and is consistent; (b): it is a prefix
        # at a chunk boundary that includes every acknowledged chunk.
        dump = os.path.join(out, "cycle.dump")
        in_store = None
        empty = not os.path.isdir(db) or not os.listdir(db)
        if empty:
            in_store = 0 if acked == 0 else None
            if in_store is None:
                problems.append(f"no store, but {chunks} chunks were acknowledged")
        else:
            ok, report = dyad.check(db, dump)
            interrupted = (not ok and isinstance(report, dict)
                           and "creation was interrupted" in report.get("message", ""))
            if interrupted:
                # Killed while creating the store: it holds nothing, and
                # the next load clears it and starts again.
                in_store = 0 if acked == 0 else None
                if in_store is None:
                    problems.append(f"an interrupted creation, but {chunks} chunks were "
                                    "acknowledged")
            elif not ok:
                problems.append(f"check after the kill: {report}")
            else:
                with open(dump) as f:
                    text = f.read()
                for n in (acked, min(acked + batch, records)):
                    if text == prefix_dump(n) or (n == 0 and report["nodes"] == 0):
                        in_store = n
                        break
                if in_store is None:
                    problems.append(f"the store is not the first {acked} (acknowledged) or "
                                    f"{min(acked + batch, records)} records")
        # (d): loading the file again finishes the job.
        if not problems:
            p = dyad.load(db, facts, batch)
            ok, report = dyad.check(db, dump)
            if not ok:
                problems.append(f"check after the second load: {report}")
            else:
                with open(dump) as f:
                    if f.read() != reference:
                        problems.append("after the second load the store differs from one loaded "
                                        "without a crash")
                if dyad.stats(db) != reference_stats:
                    problems.append("after the second load, stats differ")
        record = {"cycle": cycle, "mode": mode, "batch": batch,
                  "kill_after_ms": round(kill_after * 1000), "load_had_finished": finished,
                  "acked_chunks": chunks, "acked_lines": acked, "store_lines": in_store,
                  "ok": not problems}
        if problems:
            record["problems"] = problems
            if os.path.isdir(db):
                shutil.copytree(db, os.path.join(out, f"failed-{cycle}"))
            shutil.copy(ack, os.path.join(out, f"failed-{cycle}.ack")) if os.path.exists(ack) else None
        results.append(record)
        log.write(json.dumps(record) + "\n")
        log.flush()
        print(f"cycle {cycle:4d} {mode:8s} batch {batch:6d} kill at {kill_after * 1000:7.0f} ms: "
              f"acked {acked:6d}, store holds {in_store if in_store is not None else '?':>6} "
              f"of {records}: {'ok' if not problems else 'FAILED ' + '; '.join(problems)}",
              flush=True)
        shutil.rmtree(db, ignore_errors=True)

    def count(pred):
        return sum(1 for r in results if pred(r))

    summary = {
        "cycles": len(results),
        "passed": count(lambda r: r["ok"]),
        "failed": count(lambda r: not r["ok"]),
        "sync": args.sync,
        "records": records,
        "by_mode": {m: count(lambda r, m=m: r["mode"] == m) for m in ("embedded", "server")},
        "killed_mid_load": count(lambda r: r["store_lines"] is not None
                                 and 0 < r["store_lines"] < records),
        "killed_before_any_commit": count(lambda r: r["store_lines"] == 0),
        "killed_after_the_end": count(lambda r: r["store_lines"] == records),
        "store_ahead_of_its_acks": count(lambda r: r["store_lines"] is not None
                                         and r["store_lines"] > r["acked_lines"]),
        "first_commit_and_end_seconds": {f"{m}/{b}": [round(t, 3) for t in times]
                                         for (m, b), times in sorted(durations.items())},
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 0 if summary["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
