"""Schemathesis against the real web app over HTTP on 127.0.0.1: every check, every phase
(examples, coverage, fuzzing, stateful), a fixed seed and a bounded number of cases, after the
founding dispatch went through the pipeline, with a token required. Zero failures: every bad
input is a 4xx, every answer is what /openapi.json says, every response carries the headers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from browser import process_wire, served, sessions_for

from veille.web.security import HEADERS

pytestmark = pytest.mark.slow
schemathesis = pytest.importorskip("schemathesis")

TOKEN = "Zk4q-9vXe2LmT7wRb1Yc"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEED = 20220118
MAX_EXAMPLES = 30  # fuzzing cases per operation; coverage and stateful add their own
DEADLINE = 240.0  # seconds: a run that has not finished by then is stopped and fails


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, extractor: Any) -> Iterator[str]:
    """The processed wire served with a token on a free loopback port; the base URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'web.db'}"
    settings = replace(process_wire(url, extractor), web_token=TOKEN)
    sessions = sessions_for(url)
    with served(settings, sessions) as handle:
        yield handle.url
    sessions.kw["bind"].dispose()


def run_schemathesis(base_url: str) -> dict[str, Any]:
    """Every phase with every check; the counts the CLI prints, and each failure described."""
    from schemathesis.engine import events, from_schema
    from schemathesis.engine.statistic import Statistic

    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": AUTH,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    statistic = Statistic()
    errors: list[str] = []
    stream = from_schema(schema).execute()
    deadline = time.monotonic() + DEADLINE
    stopped = False
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            errors.extend(str(f) for f in event.failures)
        if not stopped and time.monotonic() > deadline:
            stream.stop()
            stopped = True
    failures = [
        f"{label}: {failure.title} ({failure.message})"
        for label, groups in statistic.failures.items()
        for group in groups.values()
        for failure in group.failures
    ]
    return {
        "operations": len(schema),
        "tested": len(statistic.tested_operations),
        "cases": statistic.total_cases,
        "failures": failures,
        "errors": errors + (["stopped at the deadline"] if stopped else []),
    }


def test_schemathesis_finds_nothing(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    got = run_schemathesis(api)
    with capsys.disabled():
        print(
            f"\nschemathesis {schemathesis.__version__}, all checks, seed {SEED}: "
            f"{got['tested']}/{got['operations']} operations tested, {got['cases']} test cases, "
            f"{len(got['failures'])} failures, {len(got['errors'])} errors "
            f"in {time.monotonic() - started:.0f} s"
        )
    assert got["operations"] >= 8 and got["tested"] == got["operations"], got
    assert got["cases"] >= 8 * MAX_EXAMPLES // 2, got
    assert not got["failures"], "\n".join(got["failures"])
    assert not got["errors"], "\n".join(got["errors"])


def test_the_document_says_who_may_call(api: str) -> None:
    """With a token configured the document declares it, and every operation's 401."""
    spec = httpx.get(f"{api}/openapi.json", headers=AUTH).json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {"bearer": []} in spec["security"]
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert "401" in operation["responses"]
    refused = httpx.get(f"{api}/api/statements")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    for name in HEADERS:
        assert name.lower() in refused.headers


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"type": "nonsense"}, "type must be one of warning"),
        ({"day": "2022-02-30"}, "day must be a calendar date"),
        ({"day": "20220118"}, "day must be a calendar date"),
        ({"feed": "9" * 19}, "feed must be a feed id"),
        ({"limit": "0"}, "limit: "),
    ],
)
def test_bad_filters_say_what_they_take(api: str, query: dict[str, str], words: str) -> None:
    got = httpx.get(f"{api}/api/statements", params=query, headers=AUTH)
    assert got.status_code == 422, got.text
    [error] = got.json()["detail"]
    assert words in error["msg"] and error["loc"][0] == "query"
    assert query[error["loc"][1]] not in got.text, "the value is not echoed back"


@pytest.mark.parametrize(
    "query",
    [
        {"day": "9999-12-31"},
        {"day": "0001-01-01"},
        {"day": " 2022-01-18 ", "type": "warning"},
        {"q": "prix\x00fort"},
        {"speaker": "NATO\x00"},
        {"feed": "", "type": "", "day": ""},
    ],
)
def test_every_value_the_document_allows_is_answered(api: str, query: dict[str, str]) -> None:
    got = httpx.get(f"{api}/api/statements", params=query, headers=AUTH)
    assert got.status_code == 200, got.text
    if "\x00" in "".join(query.values()):
        assert got.json()["total"] == 0


def test_pages_still_bound_the_day(api: str) -> None:
    """The timeline and its chart reach around the day: the ends of the calendar are a 400."""
    got = httpx.get(
        f"{api}/", params={"day": "9999-12-31"}, headers={**AUTH, "Accept": "text/html"}
    )
    assert got.status_code == 400 and "9999-12-29" in got.text
