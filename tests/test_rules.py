"""Alert rules: the default rule fires on fresh warnings and demands involving NATO or Russia."""

from __future__ import annotations

import pytest

from veille.domain import Statement
from worker.rules import DEFAULT_RULE, RuleError, load_rules, rule_from_dict


def st(
    type_: str = "warning",
    actor: str | None = "NATO",
    targets: tuple[str, ...] = ("RUS",),
    background: bool = False,
    content: str = "ils paieront le prix fort",
) -> Statement:
    return Statement("X", actor, type_, targets, True, background, 0, 10, content, content)


def test_default_rule() -> None:
    (rule,) = load_rules([])
    assert rule.name == DEFAULT_RULE["name"]
    assert rule.matches(st())
    assert rule.matches(st("demand", "DEU", ("RUS",)))
    assert rule.matches(st("demand", "RUS", ("WEST",)))
    assert not rule.matches(st("statement"))
    assert not rule.matches(st("warning", "FRA", ("UKR",)))
    assert not rule.matches(st(background=True)), "background never alerts"


def test_keywords_regex_and_feeds() -> None:
    rule = rule_from_dict({"name": "gaz", "keywords": ["gaz"], "feeds": ["http://a/x.xml"]})
    assert rule.matches(st(content="le gaz sera coupé"), "http://a/x.xml")
    assert not rule.matches(st(content="le gaz sera coupé"), "http://b/y.xml")
    assert not rule.matches(st(), "http://a/x.xml")
    rx = rule_from_dict({"name": "rx", "regex": r"prix\s+fort", "speaker_actors": ["nato"]})
    assert rx.matches(st()) and not rx.matches(st(actor="RUS"))


@pytest.mark.parametrize(
    "bad",
    [
        {"types": ["warning"]},
        {"name": "x", "types": ["threat"]},
        {"name": "x", "regex": "("},
        {"name": "x", "colour": "red"},
    ],
)
def test_bad_rules_are_refused(bad: dict) -> None:
    with pytest.raises(RuleError):
        rule_from_dict(bad)


def test_rules_commands_and_dry_run(tmp_path, extractor) -> None:  # type: ignore[no-untyped-def]
    """`veille rules test` shows what a rule would have fired before anyone is paged."""
    import io
    from pathlib import Path

    from click.testing import CliRunner
    from feedserver import FeedServer

    from scheduler.jobs import InProcess, feeds_to_poll, poll_cycle
    from veille.cli import main
    from veille.settings import FeedConfig, Settings
    from worker.context import build_runtime

    db = f"sqlite:///{tmp_path / 'v.db'}"
    demo = (Path(__file__).resolve().parents[1] / "seeds" / "demo-feed.xml").read_bytes()
    runner = CliRunner()
    with FeedServer() as srv:
        srv.route("/afp.xml", body=demo)
        rt = build_runtime(
            Settings(database_url=db, feeds=(FeedConfig(srv.url("/afp.xml")),)),
            stream=io.StringIO(),
            extractor=extractor,
        )
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
        finally:
            rt.close()
    added = runner.invoke(
        main,
        ["rules", "add", "nato-warns", "--type", "warning", "--speaker-actor", "NATO", "--db", db],
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["rules", "list", "--db", db]).output
    assert "nato-warns" in listed and "(stored)" in listed
    dry = runner.invoke(main, ["rules", "test", "nato-warns", "--since", "100000d", "--db", db])
    assert dry.exit_code == 0, dry.output
    assert "WARNING" in dry.output and "Jens Stoltenberg" in dry.output
    assert "1 alert(s) would have fired" in dry.output
    recent = runner.invoke(main, ["rules", "test", "nato-warns", "--since", "1d", "--db", db])
    assert "0 alert(s) would have fired" in recent.output, "the dispatch is from 2022"
    assert runner.invoke(main, ["rules", "remove", "nato-warns", "--db", db]).exit_code == 0
    assert "nato-warns" not in runner.invoke(main, ["rules", "list", "--db", db]).output
