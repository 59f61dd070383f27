"""Benchmark one polling cycle of N local feeds: concurrent conditional fetch+parse vs naive loop.

    python bench/bench_poll.py [--feeds 1000] [--hosts 20] [--changed 0.05]

The feeds are served by tests/feedserver.py in a child process (so the server does not compete
with the client for the GIL) on loopback addresses 127.0.0.1..127.0.0.H, one port each. Every
feed is polled once to learn its ETag and its entries' digests (warm-up, untimed); then
`--changed` of them get three new items (and lose three old ones) and a new ETag, and one cycle
is timed twice over the same feeds in the same run:

* ours: scheduler.fetch (conditional GET over one shared aiohttp session, per-host limiter)
  and, for the bodies that changed, scheduler.parse.parse_feed in the parser process(es) of
  scheduler.parsepool, as the service runs them (--parse-procs, default 1 as in settings):
  entries served last time are skipped by digest (scheduler.entries); the same cycle parsing
  every entry is printed too;
* naive: `feedparser.parse(url)` for each feed in turn (no validators, every body parsed).

Then Veille's whole cycle (fetch, parse, store in SQLite, schedule) is timed the same way.
Prints feeds/s of each, the ratio, client CPU seconds per 1,000 conditional polls (parser
processes included), peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import feedparser  # noqa: E402
from feedserver import FeedServer, rss_feed  # noqa: E402

from scheduler.fetch import FetchRequest, FetchResult, FetchState, make_client  # noqa: E402
from scheduler.parse import FeedError  # noqa: E402
from scheduler.parsepool import FeedParser  # noqa: E402
from scheduler.politeness import HostLimiter, fetch_polite  # noqa: E402

WORDS = [
    "gouvernement",
    "ministre",
    "sommet",
    "accord",
    "frontière",
    "sanctions",
    "négociations",
    "cessez-le-feu",
    "armée",
    "président",
    "parlement",
    "élection",
    "réforme",
    "budget",
    "alliance",
    "sécurité",
    "diplomatie",
    "ambassade",
    "crise",
    "région",
    "capitale",
    "conflit",
    "aide",
    "humanitaire",
    "population",
    "réfugiés",
    "tribunal",
    "enquête",
    "rapport",
]


def feed_body(feed_no: int, version: int, items: int) -> bytes:
    """A realistic RSS body (about 1 KB per item) written here; `version` shifts the items."""
    entries = []
    for i in range(items):
        n = version * 3 + i
        words = [WORDS[(feed_no * 7 + n * 13 + k) % len(WORDS)] for k in range(120)]
        entries.append({
            "title": f"Dépêche {feed_no}-{n} : " + " ".join(words[:10]),
            "description": "<p>" + " ".join(words) + "</p>",
            "link": f"https://exemple.test/{feed_no}/{n}",
            "guid": f"urn:bench:{feed_no}:{n}",
            "pubDate": time.strftime(
                "%a, %d %b %Y %H:%M:%S +0100", time.gmtime(1_739_000_000 + n * 600)
            ),
        })  # fmt: skip
    return rss_feed(f"Flux {feed_no}", entries)


@dataclass(frozen=True)
class Layout:
    """Where each feed lives: (host index, path) in feed order."""

    feeds: int
    hosts: int
    items: int

    def place(self, n: int) -> tuple[int, str]:
        """Host index and path of feed n."""
        return n % self.hosts, f"/feed/{n}.xml"


def serve(layout: Layout, ready: Any, commands: Any) -> None:
    """Child process: one FeedServer per loopback host; obeys change/reset/latency/stop."""
    servers = [FeedServer(host=f"127.0.0.{h + 1}").start() for h in range(layout.hosts)]
    for n in range(layout.feeds):
        h, path = layout.place(n)
        servers[h].route(path, body=feed_body(n, 0, layout.items), etag=f'"{n}-0"')
    ready.send([s.base_url for s in servers])
    while True:
        cmd = commands.recv()
        if cmd[0] in ("change", "reset"):
            version = 1 if cmd[0] == "change" else 0
            for n in cmd[1]:
                h, path = layout.place(n)
                body = feed_body(n, version, layout.items)
                servers[h].update(path, body=body, etag=f'"{n}-{version}"')
        elif cmd[0] == "latency":
            for n in range(layout.feeds):
                h, path = layout.place(n)
                servers[h].update(path, delay=cmd[1])
        else:
            break
        commands.send("ok")
    for s in servers:
        s.close()


def _cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds of live processes (the parser workers), read from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


async def our_cycle(
    requests: list[FetchRequest],
    per_host: int,
    delay: float,
    parser: FeedParser,
    seen: dict[str, frozenset[str]] | None = None,
) -> tuple[list[FetchResult], int, int, dict[str, frozenset[str]]]:
    """One concurrent cycle: each feed is parsed as soon as its body arrives (if it changed),
    skipping the entries it served last time (`seen`, as the service keeps per feed).
    Returns results, bodies parsed, entries parsed, and each parsed feed's entry digests."""
    limiter = HostLimiter(max_per_host=per_host, min_delay=delay)
    seen = seen or {}
    digests: dict[str, frozenset[str]] = {}
    async with make_client(
        timeout_connect=5, timeout_read=10, per_host_connections=per_host
    ) as client:

        async def one(req: FetchRequest) -> tuple[FetchResult, int]:
            r = await fetch_polite(client, req, limiter, total_timeout=30)
            if r.kind != "ok":
                return r, 0
            try:
                parsed = await parser.parse(
                    r.body, r.final_url or r.url, r.content_type, seen.get(req.url, frozenset())
                )
            except FeedError:
                return r, -1
            digests[req.url] = frozenset(parsed.digests)
            return r, len(parsed.entries)

        done = await asyncio.gather(*(one(r) for r in requests))
    results = [r for r, _ in done]
    parsed = sum(1 for r, n in done if r.kind == "ok" and n >= 0)
    return results, parsed, sum(n for _, n in done if n > 0), digests


def naive_cycle(urls: list[str]) -> tuple[int, int]:
    """The loop the issue describes: feedparser.parse(url) on every feed, one after another."""
    ok = entries = 0
    for url in urls:
        d = feedparser.parse(url)
        ok += 1 if d.get("status") == 200 else 0
        entries += len(d.entries)
    return ok, entries


class _Collect:
    """Dispatch boundary of the service cycle: counts new item ids, extracts nothing."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def items(self, item_ids: Any) -> None:
        self.ids.extend(item_ids)

    def deliveries(self) -> None:
        pass

    def recover(self) -> None:
        pass


def service_cycle(
    cmd: Any, urls: list[str], changed: list[int], args: argparse.Namespace
) -> tuple[float, float, int]:
    """Veille's real cycle (fetch, parse, store in SQLite, schedule): wall s, CPU s, new items."""
    import tempfile

    from scheduler.feedstore import sync_feeds
    from scheduler.jobs import Poller, poll_cycle
    from veille.settings import FeedConfig, Settings
    from worker.context import build_runtime

    cmd.send(("reset", list(range(len(urls)))))
    cmd.recv()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/bench.db",
            per_host_connections=args.per_host,
            per_host_delay=args.delay,
            parse_workers=args.parse_procs,
            feeds=tuple(FeedConfig(u) for u in urls),
        )
        rt = build_runtime(settings)
        poller = Poller(settings)
        try:
            ids = sync_feeds(rt.sessions, settings.feeds)
            poll_cycle(rt, _Collect(), ids, only_due=False, poller=poller)  # warm-up: ETags
            cmd.send(("change", changed))
            cmd.recv()
            sink = _Collect()
            gc.collect()
            pids = poller.parser_pids()
            cpu0, t0 = time.process_time() + _cpu_of(pids), time.perf_counter()
            poll_cycle(rt, sink, ids, only_due=False, poller=poller)
            wall = time.perf_counter() - t0
            return wall, time.process_time() + _cpu_of(pids) - cpu0, len(sink.ids)
        finally:
            poller.close()
            rt.close()


@dataclass
class Figures:
    """What one scenario measured."""

    latency: float
    ours_wall: float
    ours_cpu: float
    naive_wall: float
    naive_cpu: float
    kinds: dict[str, int]
    parsed: int
    ours_entries: int
    naive_ok: int
    naive_entries: int
    traced_peak: int
    rss_mib: float
    whole_wall: float
    whole_entries: int


def scenario(
    cmd: Any, urls: list[str], changed: list[int], latency: float, args: argparse.Namespace
) -> Figures:
    """Warm up (learn ETags), publish new items on `changed`, time ours then the naive loop."""
    cmd.send(("latency", latency))
    cmd.recv()
    cmd.send(("reset", list(range(len(urls)))))
    cmd.recv()
    # Warm-up (untimed): learn every ETag and entry digest as the service would have from its
    # last cycle.
    parser = FeedParser(args.parse_procs)
    first, _, _, seen = asyncio.run(
        our_cycle([FetchRequest(u) for u in urls], args.per_host, 0, parser)
    )
    assert all(r.kind == "ok" for r in first), {r.error for r in first if r.error}
    requests = [
        FetchRequest(u, FetchState(r.etag, r.last_modified))
        for u, r in zip(urls, first, strict=True)
    ]
    cmd.send(("change", changed))
    cmd.recv()

    try:
        gc.collect()
        pids = parser.worker_pids()  # started (and warm) since the untimed warm-up cycle
        cpu0, t0 = time.process_time() + _cpu_of(pids), time.perf_counter()
        results, parsed, entries, _ = asyncio.run(
            our_cycle(requests, args.per_host, args.delay, parser, seen)
        )
        ours_wall = time.perf_counter() - t0
        ours_cpu = time.process_time() + _cpu_of(pids) - cpu0
        # the same cycle parsing every entry of each changed body (no digests kept)
        gc.collect()
        t0 = time.perf_counter()
        _, _, whole_entries, _ = asyncio.run(our_cycle(requests, args.per_host, args.delay, parser))
        whole_wall = time.perf_counter() - t0
    finally:
        parser.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kinds = {k: sum(1 for r in results if r.kind == k) for k in ("ok", "not_modified", "error")}
    tracemalloc.start()
    asyncio.run(our_cycle(requests, args.per_host, args.delay, FeedParser(0), seen))
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    gc.collect()
    cpu1, t1 = time.process_time(), time.perf_counter()
    naive_ok, naive_entries = naive_cycle(urls)
    naive_wall, naive_cpu = time.perf_counter() - t1, time.process_time() - cpu1
    return Figures(latency, ours_wall, ours_cpu, naive_wall, naive_cpu, kinds, parsed, entries,
                   naive_ok, naive_entries, traced_peak, rss, whole_wall,
                   whole_entries)  # fmt: skip


def report(f: Figures, n: int) -> None:
    """Print one scenario's figures."""
    print(f"-- server latency {f.latency * 1000:g} ms per response")
    print(f"ours : {f.ours_wall:7.3f} s  {n / f.ours_wall:8.1f} feeds/s  "
          f"{f.kinds['not_modified']} x 304, {f.kinds['ok']} x 200 ({f.parsed} parsed, "
          f"{f.ours_entries} new entries parsed, the others skipped by digest), "
          f"{f.kinds['error']} errors")  # fmt: skip
    print(f"naive: {f.naive_wall:7.3f} s  {n / f.naive_wall:8.1f} feeds/s  "
          f"{f.naive_ok} x 200, {f.naive_entries} entries parsed")  # fmt: skip
    print(f"speed-up: {f.naive_wall / f.ours_wall:.1f}x (target >= 20x)")
    print(f"same cycle parsing every entry of the changed bodies ({f.whole_entries} entries): "
          f"{f.whole_wall:.3f} s, {f.naive_wall / f.whole_wall:.1f}x")  # fmt: skip
    print(f"CPU seconds (client process) per 1,000 polls: ours {f.ours_cpu * 1000 / n:.3f}, "
          f"naive {f.naive_cpu * 1000 / n:.3f}")  # fmt: skip
    print(f"peak memory of our cycle: {f.traced_peak / 2**20:.1f} MiB traced (tracemalloc); "
          f"process max RSS {f.rss_mib:.0f} MiB")  # fmt: skip


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=100, help="loopback hosts (127.0.0.1..N)")
    ap.add_argument("--items", type=int, default=25)
    ap.add_argument("--changed", type=float, default=0.05, help="share of feeds with new items")
    ap.add_argument("--per-host", type=int, default=2, help="concurrent connections per host")
    ap.add_argument("--delay", type=float, default=0.0, help="min seconds between starts/host")
    ap.add_argument("--latency", type=float, nargs="*", default=[0.0, 0.05],
                    help="simulated server latency per response, one scenario each")  # fmt: skip
    ap.add_argument("--parse-procs", type=int, default=1,
                    help="parser processes, as settings.parse_workers (0: a thread)")  # fmt: skip
    args = ap.parse_args()
    layout = Layout(args.feeds, max(1, min(args.hosts, 250)), args.items)
    step = max(1, round(1 / args.changed)) if args.changed > 0 else 0
    changed = list(range(0, layout.feeds, step)) if step else []

    ctx = mp.get_context("fork")
    ready_r, ready_w = ctx.Pipe(duplex=False)
    cmd, cmd_child = ctx.Pipe()
    child = ctx.Process(target=serve, args=(layout, ready_w, cmd_child), daemon=True)
    child.start()
    try:
        bases = ready_r.recv()
        urls = [bases[h] + path for h, path in map(layout.place, range(layout.feeds))]
        parse_where = f"in {args.parse_procs} process(es)" if args.parse_procs else "in a thread"
        print(f"{layout.feeds} feeds on {layout.hosts} loopback hosts, {layout.items} items each "
              f"(~{len(feed_body(0, 0, layout.items)) // 1024} KB), {len(changed)} with new "
              f"items, the rest answering 304; limiter {args.per_host}/host, {args.delay:g} s "
              f"spacing; parse {parse_where}")  # fmt: skip
        for latency in args.latency:
            figures = scenario(cmd, urls, changed, latency, args)
            report(figures, layout.feeds)
            wall, cpu, new = service_cycle(cmd, urls, changed, args)
            print(f"service cycle (fetch + parse + store in SQLite + schedule): {wall:7.3f} s  "
                  f"{layout.feeds / wall:8.1f} feeds/s, {new} new items; speed-up vs naive "
                  f"{figures.naive_wall / wall:.1f}x; CPU {cpu * 1000 / layout.feeds:.3f} s "
                  f"per 1,000 polls")  # fmt: skip
    finally:
        cmd.send(("stop",))
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()


if __name__ == "__main__":
    main()
