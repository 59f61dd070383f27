"""Parsing: our own fixtures for each quirk, and every real feed file of ../shared if present."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feedserver import FeedServer, html_page, rss_feed  # noqa: E402

from scheduler.dates import parse_date, two_digit_year  # noqa: E402
from scheduler.fetch import fetch_feed, make_client  # noqa: E402
from scheduler.htmltext import clean_text  # noqa: E402
from scheduler.parse import FeedError, parse_feed  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FEEDS_DIR = SHARED / "data" / "feeds"
FEED_FILES = sorted(FEEDS_DIR.glob("*.xml")) if FEEDS_DIR.is_dir() else []


def rss(items: str, channel: str = "") -> bytes:
    """A hand-written RSS document around raw <item> markup."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Le Fil &amp; l’Écho</title><link>https://fil.example.fr/</link>"
        f"{channel}{items}</channel></rss>"
    ).encode()


def item(title: str = "Titre", date: str | None = None, **extra: str) -> str:
    """One <item> with a title, an optional pubDate and any other raw fields."""
    fields = f"<title>{title}</title>"
    if date:
        fields += f"<pubDate>{date}</pubDate>"
    fields += "".join(f"<{k}>{v}</{k}>" for k, v in extra.items())
    return f"<item>{fields}</item>"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sun, 09 Feb 25 16:15:05 +0100", datetime(2025, 2, 9, 15, 15, 5, tzinfo=UTC)),
        ("Sat, 08 Feb 2025 08:38:56 GMT", datetime(2025, 2, 8, 8, 38, 56, tzinfo=UTC)),
        ("Wed, 29 Jan 2025 17:35:00 +0009", datetime(2025, 1, 29, 17, 35, tzinfo=UTC)),
        ("Wed, 27 Mar 2024 08:04:26 +0000", datetime(2024, 3, 27, 8, 4, 26, tzinfo=UTC)),
        ("Wed, 27 Mar 2024 09:00:14 +0100", datetime(2024, 3, 27, 8, 0, 14, tzinfo=UTC)),
        ("Thu, 22 Sep 2022 18:43:03 +0200", datetime(2022, 9, 22, 16, 43, 3, tzinfo=UTC)),
        ("Mon, 10 Feb 2025 13:35 CET", datetime(2025, 2, 10, 12, 35, tzinfo=UTC)),
        ("Mon, 10 Feb 2025 08:00:00 EST", datetime(2025, 2, 10, 13, 0, tzinfo=UTC)),
        ("lun. 10 févr. 2025 13:35:34 +0100", datetime(2025, 2, 10, 12, 35, 34, tzinfo=UTC)),
        ("2025-02-10T13:35:34+01:00", datetime(2025, 2, 10, 12, 35, 34, tzinfo=UTC)),
        ("2025-02-10T13:35:34.123Z", datetime(2025, 2, 10, 13, 35, 34, 123000, tzinfo=UTC)),
        ("2025-02-10 13:35:34", datetime(2025, 2, 10, 13, 35, 34, tzinfo=UTC)),
    ],
)
def test_parse_date(raw: str, expected: datetime) -> None:
    when, _note = parse_date(raw)
    assert when == expected and when is not None and when.utcoffset() == timedelta(0)


def test_date_notes_and_failures() -> None:
    assert parse_date("Wed, 29 Jan 2025 17:35:00 +0009")[1] == (
        "implausible UTC offset +0009, read as UTC"
    )
    assert parse_date("hier soir") == (None, "unreadable date 'hier soir'")
    assert parse_date("Mon, 31 Feb 2025 10:00:00 GMT")[0] is None
    assert parse_date("") == (None, None)
    assert two_digit_year(25) == 2025 and two_digit_year(99) == 1999


def test_clean_text() -> None:
    raw = "<p>Le&nbsp;président a dit&#160;: «&nbsp;non&nbsp;»</p><p>Suite</p><script>x()</script>"
    assert clean_text(raw) == "Le président a dit : « non » Suite"
    assert clean_text("Emmanuel\u202fMacron  \n\t à\u00a0Paris") == "Emmanuel Macron à Paris"
    assert clean_text("Rires &amp;amp; larmes") == "Rires & larmes"
    assert clean_text("Double &amp;nbsp;échappé") == "Double échappé"
    assert clean_text("a < b et c > d") == "a < b et c > d"
    assert clean_text(None) == "" and clean_text("z\u200bé\u00adro") == "zéro"


def test_entries_fields_and_html_stripping() -> None:
    body = rss(
        item(
            "L’&lt;b&gt;Élysée&lt;/b&gt; répond&amp;nbsp;!",
            "Sun, 09 Feb 25 16:15:05 +0100",
            description="&lt;p&gt;Un&amp;nbsp;texte &lt;a href='x'&gt;lié&lt;/a&gt;&lt;/p&gt;",
            link="/article/1",
            guid="urn:fil:1",
        ),
        channel="<ttl>15</ttl>",
    )
    feed = parse_feed(body, "https://fil.example.fr/rss.xml")
    assert feed.title == "Le Fil & l’Écho" and feed.ttl == 15
    (e,) = feed.entries
    assert e.title == "L’Élysée répond !" and e.summary == "Un texte lié"
    assert e.key == "urn:fil:1" and e.guid == "urn:fil:1"
    assert e.link == "https://fil.example.fr/article/1"
    assert e.published == datetime(2025, 2, 9, 15, 15, 5, tzinfo=UTC)
    assert e.text == "L’Élysée répond !\n\nUn texte lié"


def test_key_falls_back_to_link_then_hash() -> None:
    body = rss(
        item("Avec lien", link="https://fil.example.fr/a")
        + item("Sans rien", description="Résumé seul")
        + item("Sans rien", description="Résumé seul")
    )
    feed = parse_feed(body, "https://fil.example.fr/rss.xml")
    assert feed.entries[0].key == "https://fil.example.fr/a"
    assert feed.entries[1].key.startswith("sha256:") and len(feed.entries) == 2
    assert any("duplicate key" in w for w in feed.warnings)


def test_mixed_offsets_quirky_dates_warn_once() -> None:
    body = rss(
        item("a", "Wed, 29 Jan 2025 17:35:00 +0009", guid="a")
        + item("b", "Wed, 29 Jan 2025 18:35:00 +0009", guid="b")
        + item("c", "Wed, 29 Jan 2025 18:35:00 GMT", guid="c")
        + item("d", "n'importe quand", guid="d")
    )
    feed = parse_feed(body, "https://fil.example.fr/rss.xml")
    assert [e.published is not None for e in feed.entries] == [True, True, True, False]
    assert "dates: implausible UTC offset +0009, read as UTC (2 entries)" in feed.warnings
    assert any("unreadable date" in w for w in feed.warnings)


def test_empty_entry_skipped_with_warning() -> None:
    feed = parse_feed(rss(item("Bon") + "<item><title></title></item>"), "https://f.example/")
    assert len(feed.entries) == 1
    assert any("entry 2" in w and "skipped" in w for w in feed.warnings)


def test_malformed_xml_with_entries_is_used_with_warning() -> None:
    body = rss(item("Un & deux", guid="1") + item("Trois <br> quatre", guid="2"))
    feed = parse_feed(body, "https://f.example/rss")
    assert len(feed.entries) >= 1
    assert any(w.startswith("malformed feed") for w in feed.warnings)


def test_atom_feed() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atome</title>
<link href="https://atom.example.fr/"/><id>urn:atome</id><updated>2025-02-10T10:00:00Z</updated>
<entry><title type="html">&lt;em&gt;D\xc3\xa9p\xc3\xaache&lt;/em&gt;</title><id>urn:1</id>
<link href="https://atom.example.fr/1"/><updated>2025-02-10T11:00:00+01:00</updated>
<summary>R\xc3\xa9sum\xc3\xa9</summary></entry></feed>"""
    feed = parse_feed(body, "https://atom.example.fr/feed")
    (e,) = feed.entries
    assert (e.title, e.summary, e.key) == ("Dépêche", "Résumé", "urn:1")
    assert e.published == datetime(2025, 2, 10, 10, 0, tzinfo=UTC)


def test_ttl_from_syndication_module() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0" '
        b'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>'
        b"<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"
        b"<item><title>x</title></item></channel></rss>"
    )
    assert parse_feed(body, "https://f.example/").ttl == 30


def test_html_page_without_alternate() -> None:
    with pytest.raises(FeedError, match="served an HTML page, not a feed") as info:
        parse_feed(html_page("Page introuvable"), "https://site.example.fr/rss")
    assert info.value.suggestion is None


def test_html_page_with_alternate_suggests_absolute_url() -> None:
    page = html_page("Accueil", alternate="/flux/une.xml")
    with pytest.raises(FeedError, match="served an HTML page, not a feed") as info:
        parse_feed(page, "https://site.example.fr/rubrique/page.html")
    assert info.value.suggestion == "https://site.example.fr/flux/une.xml"
    assert "https://site.example.fr/flux/une.xml" in str(info.value)


def test_not_a_feed_errors() -> None:
    with pytest.raises(FeedError, match="empty"):
        parse_feed(b"  \n", "https://f.example/")
    with pytest.raises(FeedError, match="not a readable feed"):
        parse_feed(b"ceci n'est pas du XML", "https://f.example/")


def test_fetch_then_parse_over_http_with_quirks() -> None:
    async def go(srv: FeedServer) -> list[str]:
        out = []
        async with make_client(timeout_read=2.0) as client:
            for path in ("/txt", "/page", "/page2"):
                res = await fetch_feed(client, srv.url(path))
                try:
                    feed = parse_feed(res.body, res.final_url or res.url, res.content_type)
                    out.append(";".join(feed.warnings))
                except FeedError as exc:
                    out.append(f"{exc} | {exc.suggestion}")
        return out

    with FeedServer() as srv:
        srv.route("/txt", body=rss_feed("T", [("a", "b")]), content_type="text/plain")
        srv.route("/page", body=html_page("Accueil"), content_type="text/html")
        srv.route("/page2", body=html_page("Accueil", "rss.xml", "atom"), content_type="text/html")
        txt, page, page2 = asyncio.run(go(srv))
        assert "served as text/plain" in txt
        assert "served an HTML page, not a feed" in page and page.endswith("| None")
        assert page2.endswith(f"| {srv.url('/rss.xml')}")


@pytest.mark.skipif(not FEED_FILES, reason="../shared/data/feeds not present")
@pytest.mark.parametrize("path", FEED_FILES, ids=lambda p: p.name)
def test_shared_feed_files(path: Path) -> None:
    body = path.read_bytes()
    if path.name.startswith("BROKEN_"):
        with pytest.raises(FeedError, match="served an HTML page, not a feed"):
            parse_feed(body, path.as_uri())
        return
    feed = parse_feed(body, path.as_uri())
    assert len(feed.entries) > 0 and feed.title
    for entry in feed.entries:
        assert entry.key and (entry.title or entry.summary)
        assert entry.published is not None and entry.published.utcoffset() == timedelta(0)
        assert datetime(2020, 1, 1, tzinfo=UTC) < entry.published < datetime(2026, 1, 1, tzinfo=UTC)
        for text in (entry.title, entry.summary):
            assert "<" not in text or ">" not in text, text
            assert "\u00a0" not in text and "&nbsp;" not in text and "  " not in text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=40), st.text(max_size=80), st.text(max_size=30)), max_size=5
    )
)
def test_arbitrary_item_content_never_crashes(fields: list[tuple[str, str, str]]) -> None:
    items = "".join(
        f"<item><title>{t}</title><description>{d}</description><pubDate>{p}</pubDate></item>"
        for t, d, p in fields
    )
    try:
        feed = parse_feed(rss(items), "https://f.example/rss")
    except FeedError:
        return
    for e in feed.entries:
        assert e.key and (e.published is None or e.published.utcoffset() == timedelta(0))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_parse_or_feed_error(body: bytes) -> None:
    with contextlib.suppress(FeedError):
        parse_feed(body, "https://f.example/rss")
