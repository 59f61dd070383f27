"""The founding AFP dispatch in full and the dev-set scores, when ../shared is checked out."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.extract import Extractor, load_model, run_jsonl  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GOLD = SHARED / "data" / "dev" / "statements.jsonl"
SCORER = SHARED / "tools" / "score.py"

pytestmark = pytest.mark.skipif(
    not (GOLD.exists() and SCORER.exists()), reason="../shared dev data not present"
)

# The brief's targets; the floors below them guard against regressions of what is reached.
TARGETS = {
    "detection_f1": 0.80,
    "speaker_accuracy": 0.85,
    "speaker_actor_accuracy": 0.85,
    "type_accuracy": 0.75,
    "target_f1": 0.70,
    "mission_f1": 0.80,
}


@pytest.fixture(scope="module")
def ex() -> Extractor:
    return Extractor(load_model())


@pytest.fixture(scope="module")
def scorer():
    spec = importlib.util.spec_from_file_location("veille_dev_score", SCORER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gold(scorer) -> dict:
    return scorer.load(GOLD)


@pytest.fixture(scope="module")
def result(ex, scorer, gold) -> dict:
    """Run the whole dev set through `run_jsonl` and score it with the shared scorer."""
    inp = io.StringIO(
        "".join(
            json.dumps({"id": k, "text": d["text"]}, ensure_ascii=False) + "\n"
            for k, d in gold.items()
        )
    )
    out = io.StringIO()
    assert run_jsonl(inp, out, ex) == len(gold)
    preds = {}
    for line in out.getvalue().splitlines():
        rec = json.loads(line)
        preds[str(rec["id"])] = rec
    return scorer.score(gold, preds)


def _flat(result: dict) -> dict[str, float]:
    return {
        "detection_f1": result["detection"]["f1"],
        "speaker_accuracy": result["speaker_accuracy"],
        "speaker_actor_accuracy": result["speaker_actor_accuracy"],
        "type_accuracy": result["type_accuracy"],
        "target_f1": result["target_f1"],
        "mission_f1": result["mission"]["f1"],
    }


def _key(st: dict) -> tuple:
    last = (st.get("speaker") or "").split()[-1:] or [""]
    return (
        last[0],
        st.get("speaker_actor"),
        st["type"],
        tuple(sorted(st["targets"])),
        bool(st["direct"]),
        bool(st["background"]),
    )


def test_founding_dispatch_in_full(ex, gold, scorer):
    """Every non-optional gold statement of the first line, right in every field."""
    doc_id = next(iter(gold))
    doc = gold[doc_id]
    preds = [s.to_json() for s in ex.extract(doc["text"])]
    golds = [g for g in doc["statements"]]
    pairs = scorer.align(doc["text"], golds, preds)
    matched = {gi: preds[pi] for gi, pi in pairs}
    for gi, g in enumerate(golds):
        if g.get("optional"):
            continue
        assert gi in matched, f"missed: {g['sentence'][:80]}"
        assert _key(matched[gi]) == _key(g), (g["sentence"][:80], matched[gi])
    unmatched = [p for pi, p in enumerate(preds) if pi not in {p_ for _, p_ in pairs}]
    assert not unmatched, unmatched


def test_dev_scores_do_not_regress(result):
    """Floors a little under what this version measures on the first dev set."""
    got = _flat(result)
    floors = {
        "detection_f1": 0.88,
        "speaker_accuracy": 0.91,
        "speaker_actor_accuracy": 0.92,
        "type_accuracy": 0.85,
        "target_f1": 0.72,
        "mission_f1": 0.84,
    }
    low = {k: round(v, 3) for k, v in got.items() if v < floors[k]}
    assert not low, f"below floor: {low} (all: {got})"


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_dev_targets(result, name, request):
    """The brief's targets; those not reached yet are reported as xfail, not hidden."""
    value = _flat(result)[name]
    if value < TARGETS[name]:
        request.applymarker(
            pytest.mark.xfail(reason=f"{name} {value:.3f} < {TARGETS[name]}", strict=False)
        )
    assert value >= TARGETS[name]


# --- both dev sets, in the two halves the extractor was developed and checked on ----------

GOLD2 = SHARED / "data" / "dev2" / "statements.jsonl"
# the halves: ids sorted, shuffled with this seed, the first 337 are the development half
HALF_SEED, HALF_SIZE = 20261202, 337
# what each half must reach (issue 14) ...
HALF_TARGETS = {"detection_f1": 0.85, "mission_f1": 0.80, "target_f1": 0.70}
# ... and floors a little under what this version measures, against regressions
HALF_FLOORS = {
    "development": {"detection_f1": 0.85, "mission_f1": 0.81, "target_f1": 0.71},
    "check": {"detection_f1": 0.79, "mission_f1": 0.67, "target_f1": 0.65},
}


@pytest.fixture(scope="module")
def halves(ex, scorer) -> dict[str, dict]:
    """Scores of the development half and the check half of dev + dev2."""
    if not GOLD2.exists():
        pytest.skip("../shared dev2 data not present")
    import random

    docs = {**scorer.load(GOLD), **scorer.load(GOLD2)}
    ids = sorted(docs)
    random.Random(HALF_SEED).shuffle(ids)
    inp = io.StringIO(
        "".join(
            json.dumps({"id": k, "text": docs[k]["text"]}, ensure_ascii=False) + "\n" for k in ids
        )
    )
    out = io.StringIO()
    run_jsonl(inp, out, ex)
    preds = {str(r["id"]): r for r in map(json.loads, out.getvalue().splitlines())}
    parts = {"development": ids[:HALF_SIZE], "check": ids[HALF_SIZE:]}
    return {name: scorer.score({k: docs[k] for k in part}, preds) for name, part in parts.items()}


@pytest.mark.parametrize("half", ["development", "check"])
def test_half_scores_do_not_regress(halves, half):
    got = _flat(halves[half])
    low = {k: round(got[k], 3) for k, v in HALF_FLOORS[half].items() if got[k] < v}
    assert not low, f"{half} half below floor: {low} (all: {got})"


@pytest.mark.parametrize("half", ["development", "check"])
@pytest.mark.parametrize("name", sorted(HALF_TARGETS))
def test_half_targets(halves, half, name, request):
    """Issue 14's targets on each half; those not reached are reported as xfail."""
    value = _flat(halves[half])[name]
    if value < HALF_TARGETS[name]:
        request.applymarker(
            pytest.mark.xfail(reason=f"{half} {name} {value:.3f} < {HALF_TARGETS[name]}")
        )
    assert value >= HALF_TARGETS[name]
