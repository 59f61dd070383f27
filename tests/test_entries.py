"""Entries a feed served before are not parsed again, and what is parsed is exactly what a full
parse would give; bodies that cannot be cut safely are parsed whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import rss_feed

from scheduler.entries import split_entries, unseen_entries
from scheduler.parse import parse_feed

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "feeds"


def _items(numbers: list[int]) -> list[dict[str, str]]:
    return [
        {
            "title": f"Dépêche {n}",
            "description": f"<p>Le ministre a déclaré <b>{n}</b> fois que…</p>",
            "guid": f"urn:test:{n}",
            "pubDate": f"Mon, 0{n % 9 + 1} Feb 2025 10:00:00 +0100",
        }
        for n in numbers
    ]


def test_only_new_entries_are_parsed_and_they_equal_a_full_parse() -> None:
    before = rss_feed("Fil", _items([3, 2, 1]), ttl=30)
    after = rss_feed("Fil", _items([5, 4, 3, 2, 1]), ttl=30)
    seen = parse_feed(before, "http://x/f.xml").digests
    assert len(seen) == 3
    full = parse_feed(after, "http://x/f.xml")
    part = parse_feed(after, "http://x/f.xml", seen=set(seen))
    assert [e.title for e in part.entries] == ["Dépêche 5", "Dépêche 4"]
    assert part.entries == full.entries[:2]
    assert part.skipped == 3 and part.digests == full.digests
    assert (part.title, part.link, part.ttl) == (full.title, full.link, full.ttl)


def test_an_edited_entry_is_parsed_again() -> None:
    items = _items([2, 1])
    seen = parse_feed(rss_feed("Fil", items), "http://x/").digests
    items[1]["title"] = "Dépêche 1, corrigée"
    part = parse_feed(rss_feed("Fil", items), "http://x/", seen=set(seen))
    assert [e.title for e in part.entries] == ["Dépêche 1, corrigée"]


def test_nothing_new_is_not_an_empty_feed() -> None:
    body = rss_feed("Fil", _items([2, 1]))
    seen = parse_feed(body, "http://x/").digests
    again = parse_feed(body, "http://x/", seen=set(seen))
    assert again.entries == [] and again.skipped == 2
    assert again.warnings == []  # not "feed has no entries"
    assert parse_feed(rss_feed("Fil", []), "http://x/").warnings == ["feed has no entries"]


def test_atom_entries_are_cut_too() -> None:
    def atom(ids: list[int]) -> bytes:
        entries = "".join(
            f"<entry><id>urn:e:{i}</id><title>Entrée {i}</title>"
            f"<updated>2025-02-10T10:0{i}:00Z</updated></entry>"
            for i in ids
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Fil Atom</title><id>urn:f</id>{entries}</feed>"
        ).encode()

    seen = parse_feed(atom([2, 1]), "http://x/").digests
    part = parse_feed(atom([3, 2, 1]), "http://x/", seen=set(seen))
    assert [e.title for e in part.entries] == ["Entrée 3"] and part.title == "Fil Atom"


@pytest.mark.parametrize(
    "body",
    [
        # an <item> inside a CDATA section of the channel description
        b"<rss><channel><description><![CDATA[a <item> here]]></description>"
        b"<item><title>A</title></item></channel></rss>",
        # text between two entries
        b"<rss><channel><item><title>A</title></item>oops<item><title>B</title></item>"
        b"</channel></rss>",
        # a closing tag inside a CDATA section of an entry
        b"<rss><channel><item><description><![CDATA[</item>]]></description></item>"
        b"</channel></rss>",
        # nested
        b"<rss><channel><item><item></item></item></channel></rss>",
    ],
)
def test_ambiguous_bodies_are_parsed_whole(body: bytes) -> None:
    assert split_entries(body) is None
    reduced = unseen_entries(body, {"0123456789abcdef"})
    assert reduced.body == body and reduced.digests == () and reduced.skipped == 0


@pytest.mark.skipif(not FEEDS.is_dir(), reason="../shared/data/feeds is absent")
def test_real_feeds_parse_the_same_entries_incrementally() -> None:
    checked = 0
    for path in sorted(FEEDS.glob("*.xml")):
        if path.name.startswith("BROKEN_"):
            continue
        body = path.read_bytes()
        full = parse_feed(body, "https://exemple.test/feed")
        assert full.digests, f"{path.name}: entries not cut out"
        # as if every entry but the first two had been served last time
        part = parse_feed(body, "https://exemple.test/feed", seen=set(full.digests[2:]))
        assert part.entries == full.entries[:2], path.name
        assert (part.title, part.ttl) == (full.title, full.ttl), path.name
        checked += 1
    assert checked >= 10
