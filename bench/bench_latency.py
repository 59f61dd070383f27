"""End-to-end alert latency: a local feed publishes the founding dispatch at t0, the webhook
receiver records Stoltenberg's warning at t1. Poll interval 2 s; N runs per mode; p50 and p95.

    python bench/bench_latency.py [--runs 20] [--modes embedded,celery]

Each run starts the service fresh (new database), waits until it has polled the empty feed
once, then publishes. The celery mode needs Redis and PostgreSQL on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from feedserver import FeedServer, rss_feed  # noqa: E402
from receivers import WebhookReceiver  # noqa: E402

DISPATCH = (ROOT / "seeds" / "founding-dispatch.txt").read_text(encoding="utf-8").strip()
TITLE = "Otan-Russie : Jens Stoltenberg et Olaf Scholz à Berlin"
POLL = 2
REDIS = "redis://127.0.0.1:6379/14"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
VERBOSE = "-v" in sys.argv


def _reset_backends() -> None:
    import redis
    from sqlalchemy import text

    from veille.db import make_engine

    redis.Redis.from_url(REDIS).flushdb()
    engine = make_engine(POSTGRES)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _start(mode: str, feed_url: str, hook: str, tmp: Path) -> list[subprocess.Popen[bytes]]:
    env = dict(
        os.environ,
        VEILLE_POLL_INTERVAL=str(POLL),
        VEILLE_MIN_INTERVAL=str(POLL),
        VEILLE_WEBHOOK_URL=hook,
        VEILLE_LOG_LEVEL="WARNING",
        VEILLE_PORT="0",
    )
    veille = [sys.executable, "-m", "veille"]
    log = open(tmp / f"{mode}.log", "ab")  # noqa: SIM115 - closed with the temporary folder
    quiet = {"stdout": log, "stderr": subprocess.STDOUT, "cwd": tmp, "env": env}
    if mode == "embedded":
        env["VEILLE_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
        return [subprocess.Popen([*veille, "run", "--feed", feed_url], **quiet)]  # type: ignore[call-overload]
    _reset_backends()
    env.update(VEILLE_DATABASE_URL=POSTGRES, VEILLE_BROKER_URL=REDIS, VEILLE_WORKER_CONCURRENCY="1")
    env["VEILLE_FETCH_ALLOW_NETWORKS"] = "127.0.0.0/8"  # scaled out, the feed is on loopback
    worker = subprocess.Popen([*veille, "worker"], **quiet)  # type: ignore[call-overload]
    time.sleep(8)  # the worker process loads spaCy before it takes tasks
    sched = subprocess.Popen([*veille, "scheduler", "--feed", feed_url], **quiet)  # type: ignore[call-overload]
    return [sched, worker]


def one_run(mode: str, i: int) -> float:
    """Latency in seconds of one publication, from a fresh service."""
    with FeedServer() as srv, WebhookReceiver() as receiver, tempfile.TemporaryDirectory() as d:
        srv.route("/wire.xml", body=rss_feed("Fil", []), etag=f'"empty-{i}"')
        procs = _start(mode, srv.url("/wire.xml"), receiver.url, Path(d))
        try:
            deadline = time.time() + 120
            while len(srv.requests_for("/wire.xml")) < 2:  # polled twice: up and steady
                if time.time() > deadline or any(p.poll() is not None for p in procs):
                    log = (Path(d) / f"{mode}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{mode}: the service did not start polling:\n{log}")
                time.sleep(0.05)
            time.sleep(random.uniform(0, POLL))  # publication falls anywhere between two polls
            item = {"title": TITLE, "description": DISPATCH, "guid": f"bench-{i}"}
            srv.update("/wire.xml", body=rss_feed("Fil", [item]), etag=f'"full-{i}"')
            t0 = time.time()
            while True:
                if any(
                    r.json["data"]["statement"]["type"] == "warning"
                    and r.json["data"]["statement"]["speaker_actor"] == "NATO"
                    for r in list(receiver.requests)
                ):
                    t1 = time.time()
                    polled = [r.at for r in srv.requests_for("/wire.xml") if r.at >= t0]
                    if VERBOSE and polled:
                        print(
                            f"  poll after {polled[0] - t0:.2f}s, alert {t1 - polled[0]:.2f}s later"
                        )
                    return t1 - t0
                if time.time() - t0 > 60:
                    log = (Path(d) / f"{mode}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{mode}: no alert within 60 s:\n{log}")
                time.sleep(0.01)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()


def main() -> None:
    """Run the benchmark and print p50/p95 per mode against the poll-interval target."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--modes", default="embedded,celery")
    parser.add_argument("-v", action="store_true", help="print where each run's time went")
    args = parser.parse_args()
    for mode in args.modes.split(","):
        latencies = [one_run(mode, i) for i in range(args.runs)]
        q = statistics.quantiles(latencies, n=20, method="inclusive")
        p50, p95 = statistics.median(latencies), q[18]
        print(
            f"{mode:9} runs={len(latencies)} p50={p50:.2f}s p95={p95:.2f}s "
            f"max={max(latencies):.2f}s target p95 <= {POLL + 1}s: "
            f"{'OK' if p95 <= POLL + 1 else 'MISSED'} (ratio p95/target {p95 / (POLL + 1):.2f})"
        )


if __name__ == "__main__":
    main()
