"""Peak memory of the worst inputs against an ordinary run of the same command.

    python bench/bench_memory.py [--chars 480000] [--items 8] [--extract-chars 400000]

Each case is the real `veille` command in a child process, on a fresh SQLite database and an
empty configuration (console alerts only), measured two ways:

* the high-water RSS of the largest process of the command (the kernel's ru_maxrss of the
  child, from wait4; the parser process it forks is counted once reaped);
* the peak of the whole process tree's RSS, sampled every 20 ms from /proc.

Cases, each printed with its ratio to its baseline:

* `veille poll --once --force` on a feed of `--items` items of `--chars` characters each,
  served from 127.0.0.1, against the same command on a feed of as many ordinary items;
* `veille extract` of one text of `--extract-chars` characters, against one ordinary item.

The texts are generated French (tests/hugetext.py: statements at both ends, neutral filler
between), so no ../shared data is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from feedserver import FeedServer, rss_feed  # noqa: E402
from hugetext import EARLY, LATE, long_text  # noqa: E402

VEILLE = str(Path(sys.executable).with_name("veille"))
SAMPLE_S = 0.02


@dataclass
class Peak:
    """What one command used: its largest process's high-water RSS and the tree's peak."""

    seconds: float
    maxrss_mib: float
    tree_mib: float
    status: int


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and its descendants now, KiB (0 once it is gone)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def measure(args: list[str], env: dict[str, str], stdin: Path | None = None) -> Peak:
    """Run a command to its end; its peak memory, measured without help from the command."""
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as given:
        proc = subprocess.Popen(
            args, env=env, stdin=given, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    tree = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree[0] = max(tree[0], _tree_rss_kib(proc.pid))
            done.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stderr is not None
    errors = proc.stderr.read()  # drained as it comes, so a chatty child never blocks
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.stderr.write(errors.decode("utf-8", "replace")[-2000:])
    return Peak(
        seconds=time.perf_counter() - started,
        maxrss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        tree_mib=tree[0] / 1024,
        status=proc.returncode,
    )


def ordinary(i: int) -> str:
    """An ordinary wire item: two statements, a few hundred characters."""
    return f"Dépêche {i}\n\n{EARLY}\n\n{LATE}"


def poll_case(tmp: Path, srv: FeedServer, path: str, texts: list[str]) -> Peak:
    """`veille poll --once --force` of one feed served from loopback, fresh database."""
    items = [
        {"title": f"Dépêche {i}", "description": text, "guid": f"urn:bench:{path}:{i}"}
        for i, text in enumerate(texts)
    ]
    srv.route(path, body=rss_feed("Banc de mémoire", items))
    name = path.strip("/").replace("/", "-")
    config = tmp / f"{name}.toml"
    config.write_text("")  # no feeds, no rules, no channels but the console
    env = {**os.environ, "VEILLE_CONFIG": str(config)}
    db = f"sqlite:///{tmp / name}.db"
    return measure([VEILLE, "poll", "--once", "--force", "--db", db, "--feed", srv.url(path)], env)


def extract_case(tmp: Path, name: str, text: str) -> Peak:
    """`veille extract` of one JSON line."""
    given = tmp / f"{name}.jsonl"
    given.write_text(json.dumps({"id": name, "text": text}, ensure_ascii=False) + "\n")
    env = {**os.environ, "VEILLE_CONFIG": str(tmp / "empty.toml")}
    (tmp / "empty.toml").write_text("")
    return measure([VEILLE, "extract"], env, stdin=given)


def line(label: str, got: Peak, base: Peak | None = None) -> str:
    """One printed result, with its ratios to the baseline when there is one."""
    text = (
        f"{label:<44} maxrss {got.maxrss_mib:7.0f} MiB  tree {got.tree_mib:7.0f} MiB  "
        f"{got.seconds:6.1f} s"
    )
    if base is not None:
        text += (
            f"  ratio maxrss {got.maxrss_mib / base.maxrss_mib:.2f}x, "
            f"tree {got.tree_mib / max(base.tree_mib, 1):.2f}x"
        )
    if got.status != 0:
        text += f"  (exit {got.status})"
    return text


def main() -> None:
    """Run the four cases and print their peaks and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chars", type=int, default=480_000, help="characters per huge feed item")
    ap.add_argument("--items", type=int, default=8, help="items in each polled feed")
    ap.add_argument("--extract-chars", type=int, default=400_000, help="characters extracted")
    opts = ap.parse_args()
    huge = [long_text(opts.chars, seed=i) for i in range(opts.items)]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmpdir, FeedServer() as srv:
        tmp = Path(tmpdir)
        poll_base = poll_case(tmp, srv, "/ordinary.xml", [ordinary(i) for i in range(opts.items)])
        poll_huge = poll_case(tmp, srv, "/huge.xml", huge)
        extract_base = extract_case(tmp, "ordinary", ordinary(0))
        extract_huge = extract_case(tmp, "huge", long_text(opts.extract_chars, seed=99))
    print(line(f"poll --once: {opts.items} ordinary items", poll_base))
    print(line(f"poll --once: {opts.items} items x {opts.chars:,} chars", poll_huge, poll_base))
    print(line("extract: one ordinary item", extract_base))
    print(line(f"extract: one text of {opts.extract_chars:,} chars", extract_huge, extract_base))
    if any(p.status for p in (poll_base, poll_huge, extract_base, extract_huge)):
        sys.exit(1)


if __name__ == "__main__":
    main()
