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
