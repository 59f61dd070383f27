"""Benchmark one polling cycle of N local feeds: concurrent conditional fetch+parse vs naive loop.

    python bench/bench_poll.py [--feeds 1000] [--hosts 20] [--changed 0.05]

The feeds are served by tests/feedserver.py in a child process (so the server does not compete
with the client for the GIL) on loopback addresses 127.0.0.1..127.0.0.H, one port each. Every
feed is polled once to learn its ETag (warm-up, untimed); then `--changed` of them get new
items and a new ETag, and one cycle is timed twice over the same feeds in the same run:

* ours: scheduler.fetch + politeness.fetch_all (conditional GET, shared AsyncClient, per-host
  limiter) and scheduler.parse.parse_feed on the bodies that changed;
* naive: `feedparser.parse(url)` for each feed in turn (no validators, every body parsed).

Prints feeds/s of each, the ratio, client CPU seconds per 1,000 conditional polls, peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
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
from scheduler.parse import FeedError, parse_feed  # noqa: E402
from scheduler.politeness import HostLimiter, fetch_all  # noqa: E402

WORDS = (
    "gouvernement ministre sommet accord frontière sanctions négociations cessez-le-feu armée "
    "président parlement élection réforme budget alliance sécurité diplomatie ambassade crise "
    "région capitale conflit aide humanitaire population réfugiés tribunal enquête rapport"
).split()


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
    """Child process: one FeedServer per loopback host; obeys ('change', [n...]) and ('stop',)."""
    servers = [FeedServer(host=f"127.0.0.{h + 1}").start() for h in range(layout.hosts)]
    for n in range(layout.feeds):
        h, path = layout.place(n)
        servers[h].route(path, body=feed_body(n, 0, layout.items), etag=f'"{n}-0"')
    ready.send([s.base_url for s in servers])
    while True:
        cmd = commands.recv()
        if cmd[0] == "change":
            for n in cmd[1]:
                h, path = layout.place(n)
                servers[h].update(path, body=feed_body(n, 1, layout.items), etag=f'"{n}-1"')
            commands.send("ok")
        else:
            break
    for s in servers:
        s.close()


async def our_cycle(
    requests: list[FetchRequest], per_host: int, delay: float
) -> tuple[list[FetchResult], int, int]:
    """One concurrent cycle: fetch everything, parse what changed. (results, parsed, entries)."""
    limiter = HostLimiter(max_per_host=per_host, min_delay=delay)
    async with make_client(timeout_connect=5, timeout_read=10, max_connections=256) as client:
        results = await fetch_all(client, requests, limiter, total_timeout=30)
    parsed = entries = 0
    for r in results:
        if r.kind == "ok":
            try:
                entries += len(parse_feed(r.body, r.final_url or r.url, r.content_type).entries)
                parsed += 1
            except FeedError:
                pass
    return results, parsed, entries


def naive_cycle(urls: list[str]) -> tuple[int, int]:
    """The loop the issue describes: feedparser.parse(url) on every feed, one after another."""
    ok = entries = 0
    for url in urls:
        d = feedparser.parse(url)
        ok += 1 if d.get("status") == 200 else 0
        entries += len(d.entries)
    return ok, entries


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--items", type=int, default=25)
    ap.add_argument("--changed", type=float, default=0.05, help="share of feeds with new items")
    ap.add_argument("--per-host", type=int, default=6)
    ap.add_argument("--delay", type=float, default=0.0, help="min seconds between starts/host")
    args = ap.parse_args()
    layout = Layout(args.feeds, min(args.hosts, 250), args.items)

    ctx = mp.get_context("fork")
    ready_r, ready_w = ctx.Pipe(duplex=False)
    cmd_parent, cmd_child = ctx.Pipe()
    child = ctx.Process(target=serve, args=(layout, ready_w, cmd_child), daemon=True)
    child.start()
    try:
        bases = ready_r.recv()
        urls = []
        for n in range(layout.feeds):
            h, path = layout.place(n)
            urls.append(bases[h] + path)
        # Warm-up (untimed): learn every ETag as the service would have from its last cycle.
        first, _, _ = asyncio.run(our_cycle([FetchRequest(u) for u in urls], args.per_host, 0))
        assert all(r.kind == "ok" for r in first), {r.error for r in first if r.error}
        states = [FetchState(r.etag, r.last_modified) for r in first]
        changed = list(range(0, layout.feeds, max(1, round(1 / args.changed))))
        cmd_parent.send(("change", changed))
        cmd_parent.recv()
        requests = [FetchRequest(u, s) for u, s in zip(urls, states, strict=True)]

        gc.collect()
        cpu0, t0 = time.process_time(), time.perf_counter()
        results, parsed, ours_entries = asyncio.run(our_cycle(requests, args.per_host, args.delay))
        ours_wall, ours_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        rss_after_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kinds = {k: sum(1 for r in results if r.kind == k) for k in ("ok", "not_modified", "error")}

        tracemalloc.start()
        asyncio.run(our_cycle(requests, args.per_host, args.delay))
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        gc.collect()
        cpu1, t1 = time.process_time(), time.perf_counter()
        naive_ok, naive_entries = naive_cycle(urls)
        naive_wall, naive_cpu = time.perf_counter() - t1, time.process_time() - cpu1
    finally:
        cmd_parent.send(("stop",))
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()

    n = layout.feeds
    print(f"feeds: {n} on {layout.hosts} loopback hosts, {layout.items} items each "
          f"(~{len(feed_body(0, 0, layout.items)) // 1024} KB), {len(changed)} with new items; "
          f"limiter {args.per_host}/host, {args.delay:g} s spacing")  # fmt: skip
    print(f"ours : {ours_wall:7.3f} s  {n / ours_wall:8.1f} feeds/s  "
          f"{kinds['not_modified']} x 304, {kinds['ok']} x 200 ({parsed} parsed, {ours_entries} "
          f"entries), {kinds['error']} errors")  # fmt: skip
    print(f"naive: {naive_wall:7.3f} s  {n / naive_wall:8.1f} feeds/s  "
          f"{naive_ok} x 200, {naive_entries} entries parsed")  # fmt: skip
    print(f"speed-up: {naive_wall / ours_wall:.1f}x (target >= 20x)")
    print(f"CPU (client process) per 1,000 polls: ours {ours_cpu * 1000 / n:.3f} s, "
          f"naive {naive_cpu * 1000 / n:.3f} s")  # fmt: skip
    print(f"peak memory: ours cycle traced {traced_peak / 2**20:.1f} MiB; "
          f"process max RSS after our cycle {rss_after_ours:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
