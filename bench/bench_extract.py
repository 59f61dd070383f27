"""Benchmark the statement extractor against plain `nlp.pipe` of the same spaCy model.

    python bench/bench_extract.py [--shared PATH] [--repeat N] [--blas]

Prints docs/s for full articles and for feed items (title + description, with the prefilter),
the ratios to plain parsing, whether the prefilter keeps every gold statement of dev and dev2, and
peak memory. Both sides run the same model object, so the same BLAS (numpy's, as
`load_model` sets it); `--blas` also times the whole extractor on spaCy's default, blis.
The plain side is the model as spaCy ships it: the extractor's tokenizer settings and
embedding cache are off while it runs (the feed-item line also gives the ratio to a plain side
with the tokenizer settings on). Every run starts with empty caches, extractor's included.
Each side's time is its best over alternating runs. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from spacy.language import Language

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from worker.extract import Extractor, load_model  # noqa: E402
from worker.extract.embeddings import cache_embeddings, embedding_cache  # noqa: E402
from worker.extract.pipeline import cache_tokens, use_numpy_blas  # noqa: E402

# components the extractor adds to the model: the baseline is the model as shipped
OWN_PIPES = ["veille_line_breaks"]


def _load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _best(runs: list[Callable[[], object]], repeat: int) -> list[float]:
    """Best wall time of each run over `repeat` alternating rounds: a slow spell of the
    machine then hits every side instead of skewing the ratios."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for k, run in enumerate(runs):
            t0 = time.perf_counter()
            run()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def _plain(nlp: Language, texts: list[str], batch_size: int, tokenizer: bool = False) -> None:
    """Plain nlp.pipe: the model as spaCy ships it, without the extractor's embedding cache
    and, unless `tokenizer`, without its tokenizer settings (`cache_tokens`)."""
    cache_embeddings(nlp, enabled=False)
    _cold_tokenizer(nlp, tokenizer)
    try:
        for _doc in nlp.pipe(texts, batch_size=batch_size, disable=OWN_PIPES):
            pass
    finally:
        cache_embeddings(nlp, enabled=True)
        cache_tokens(nlp, enabled=True)


def _cold_tokenizer(nlp: Language, opened: bool) -> None:
    """The tokenizer with its cache emptied (a change of rules empties it)."""
    cache_tokens(nlp, enabled=False)
    cache_tokens(nlp, enabled=True)
    cache_tokens(nlp, enabled=opened)


def _extract(ex: Extractor, texts: list[str], batch_size: int, cached: bool = True) -> list:
    """The whole extractor, its caches emptied first: each run pays for filling them."""
    cache = embedding_cache(ex.nlp)
    if cache is not None:
        cache.clear()
    _cold_tokenizer(ex.nlp, True)
    cache_embeddings(ex.nlp, enabled=cached)
    try:
        return list(ex.extract_many(((t, None) for t in texts), batch_size))
    finally:
        cache_embeddings(ex.nlp, enabled=True)


def bench_articles(ex: Extractor, texts: list[str], repeat: int) -> tuple[float, float]:
    """Docs/s of plain nlp.pipe and of the whole extractor on full articles."""
    plain, full = _best(
        [lambda: _plain(ex.nlp, texts, 32), lambda: _extract(ex, texts, 32)], repeat
    )
    return len(texts) / plain, len(texts) / full


def bench_items(ex: Extractor, texts: list[str], repeat: int) -> dict[str, float]:
    """Docs/s on feed items of plain nlp.pipe (as shipped, then with the extractor's tokenizer
    settings), of the prefiltered extractor, and of the same extractor without its embedding
    cache."""
    sides = {
        "plain": lambda: _plain(ex.nlp, texts, 64),
        "plain_tokenizer": lambda: _plain(ex.nlp, texts, 64, tokenizer=True),
        "extractor": lambda: _extract(ex, texts, 64),
        "uncached": lambda: _extract(ex, texts, 64, cached=False),
    }
    best = _best(list(sides.values()), repeat)
    return {name: len(texts) / t for name, t in zip(sides, best, strict=True)}


def bench_blas(ex: Extractor, texts: list[str], repeat: int) -> dict[str, float | bool]:
    """Seconds of the whole extractor with numpy's BLAS and with blis, of plain nlp.pipe with
    blis, and whether both extractor runs give the same statements: the gain `load_model`
    takes by not keeping spaCy's default."""
    nlp = ex.nlp
    best = {"numpy": float("inf"), "blis": float("inf"), "plain_blis": float("inf")}
    results = []
    try:
        for _ in range(repeat):
            for name, numpy_blas in (("numpy", True), ("blis", False)):
                use_numpy_blas(nlp, numpy_blas)
                t0 = time.perf_counter()
                results.append(_extract(ex, texts, 64))
                best[name] = min(best[name], time.perf_counter() - t0)
            t0 = time.perf_counter()
            _plain(nlp, texts, 64)
            best["plain_blis"] = min(best["plain_blis"], time.perf_counter() - t0)
    finally:
        use_numpy_blas(nlp, True)
    return {**best, "same": all(r == results[0] for r in results)}


def prefilter_check(ex: Extractor, gold_path: Path) -> tuple[int, list[str], list[str]]:
    """Gold statements (optional ones included) whose text the prefilter would skip, and of
    those, the ones the extractor finds when it reads the text anyway: what the prefilter
    itself loses (the others have no cue the extractor knows)."""
    dropped, lost, total = [], [], 0
    for doc in _load(gold_path):
        golds = doc.get("statements", [])
        total += len(golds)
        if ex.prefilter.keep(doc["text"]) or not golds:
            continue
        found = {s.sentence for s in ex.extract(doc["text"])}
        for st in golds:
            line = f"{doc['id']}: {st['sentence'][:70]!r}"
            dropped.append(line)
            if st["sentence"].strip() in found:
                lost.append(line)
    return total, dropped, lost


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--items", type=int, default=0, help="limit feed items (0 = all)")
    ap.add_argument(
        "--blas",
        action="store_true",
        help="also time the extractor on spaCy's default BLAS (blis) against numpy's",
    )
    args = ap.parse_args()
    corpus = args.shared / "data" / "corpus"
    articles = [d["text"] for d in _load(corpus / "articles.jsonl")]
    items = [
        "\n".join(p for p in (d.get("title", ""), d.get("description", "")) if p)
        for d in _load(corpus / "lemonde-international-2022-items.jsonl")
    ]
    if args.items:
        items = items[: args.items]

    t0 = time.perf_counter()
    ex = Extractor(load_model())
    load_s = time.perf_counter() - t0
    # warm-up so both sides run with warm caches
    list(ex.extract_many(((t, None) for t in articles[:5]), 8))
    print(f"model + extractor load: {load_s:.1f}s")

    plain, full = bench_articles(ex, articles, args.repeat)
    print(
        f"articles ({len(articles)} docs): nlp.pipe {plain:.1f} docs/s, "
        f"extractor {full:.1f} docs/s, ratio {full / plain:.2f} (target >= 0.8)"
    )

    r = bench_items(ex, items, args.repeat)
    kept = sum(ex.prefilter.keep(t) for t in items)
    plain_i, full_i = r["plain"], r["extractor"]
    print(
        f"feed items ({len(items)} docs, prefilter keeps {kept} = {kept / len(items):.0%}): "
        f"nlp.pipe {plain_i:.1f} docs/s, extractor {full_i:.1f} docs/s, "
        f"ratio {full_i / plain_i:.2f}x (target >= 3x)\n"
        f"  nlp.pipe with the extractor's tokenizer settings {r['plain_tokenizer']:.1f} docs/s: "
        f"ratio {full_i / r['plain_tokenizer']:.2f}x; extractor without its embedding cache "
        f"{r['uncached']:.1f} docs/s: ratio {r['uncached'] / plain_i:.2f}x"
    )

    if args.blas:
        b = bench_blas(ex, items, args.repeat)
        n = len(items)
        print(
            f"feed items on spaCy's default BLAS (blis): nlp.pipe {n / b['plain_blis']:.1f} docs/s, "
            f"extractor {n / b['blis']:.1f} docs/s, ratio {b['plain_blis'] / b['blis']:.2f}x; "
            f"extractor on numpy's BLAS {n / b['numpy']:.1f} docs/s = "
            f"{b['blis'] / b['numpy']:.2f}x its blis speed (same statements: {b['same']}), "
            f"{b['plain_blis'] / b['numpy']:.2f}x plain nlp.pipe as spaCy ships it"
        )

    for name in ("dev", "dev2"):
        gold = args.shared / "data" / name / "statements.jsonl"
        if not gold.exists():
            continue
        total, dropped, lost = prefilter_check(ex, gold)
        status = "OK" if not lost else "FAIL"
        print(
            f"prefilter on {name} gold: {total - len(dropped)}/{total} statements in kept texts; "
            f"of the {len(dropped)} in skipped texts the extractor finds {len(lost)} when it "
            f"reads them anyway: {len(lost)} lost by the prefilter [{status}]"
        )
        for d in lost:
            print("  lost:", d)
    # Python-heap peak of one extractor pass over the articles, traced separately because
    # tracemalloc slows the Python side down and would skew the timings above.
    tracemalloc.start()
    list(ex.extract_many(((t, None) for t in articles), 32))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: tracemalloc {peak / 2**20:.0f} MiB (Python heap), maxrss {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
