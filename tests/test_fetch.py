"""Fetching against a real local HTTP server (tests/feedserver.py): no mocks, loopback only."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feedserver import FeedServer, Route, html_page, http_date, rss_feed  # noqa: E402

from scheduler.backoff import failure_delay, next_poll_at, success_delay  # noqa: E402
from scheduler.fetch import (  # noqa: E402
    FetchRequest,
    FetchResult,
    FetchState,
    fetch_feed,
    make_client,
    parse_max_age,
    parse_retry_after,
)
from scheduler.politeness import HostLimiter, fetch_all, host_key  # noqa: E402

FEED = rss_feed("Fil test", [("Premier titre", "Premier résumé"), ("Second", "Autre résumé")])
UA = "VeilleTest/1.0 (+https://veille.example.org/contact)"


@pytest.fixture
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def second_loopback() -> FeedServer:
    """A server on 127.0.0.2 to stand for another host (skip where only 127.0.0.1 exists)."""
    try:
        return FeedServer(host="127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")


def fetch(url: str, state: FetchState | None = None, **kw: Any) -> FetchResult:
    """Run one fetch with a fresh client (short timeouts so the suite stays fast)."""
    read = kw.pop("timeout_read", 2.0)

    async def go() -> FetchResult:
        async with make_client(user_agent=UA, timeout_connect=2.0, timeout_read=read) as client:
            return await fetch_feed(client, url, state, **kw)

    return asyncio.run(go())


def test_200_then_304_with_etag(srv: FeedServer) -> None:
    srv.route("/feed.xml", body=FEED, etag='"v1"', cache_control="public, max-age=120")
    first = fetch(srv.url("/feed.xml"))
    assert first.kind == "ok" and first.status == 200
    assert first.body == FEED and first.etag == '"v1"' and first.max_age == 120
    second = fetch(srv.url("/feed.xml"), first.state)
    assert second.kind == "not_modified" and second.status == 304 and second.body == b""
    assert second.etag == '"v1"'
    log = srv.requests_for("/feed.xml")
    assert "if-none-match" not in log[0].headers
    assert log[1].headers["if-none-match"] == '"v1"'
    assert log[0].headers["user-agent"] == UA


def test_last_modified_conditional(srv: FeedServer) -> None:
    stamp = http_date(time.time() - 3600)
    srv.route("/lm.xml", body=FEED, last_modified=stamp)
    first = fetch(srv.url("/lm.xml"))
    assert first.kind == "ok" and first.last_modified == stamp
    second = fetch(srv.url("/lm.xml"), FetchState(last_modified=stamp))
    assert second.kind == "not_modified" and second.last_modified == stamp
    assert srv.requests_for("/lm.xml")[1].headers["if-modified-since"] == stamp


def test_changed_feed_is_fetched_again(srv: FeedServer) -> None:
    srv.route("/feed.xml", body=FEED, etag='"v1"')
    first = fetch(srv.url("/feed.xml"))
    srv.update("/feed.xml", body=FEED + b"\n", etag='"v2"')
    second = fetch(srv.url("/feed.xml"), first.state)
    assert second.kind == "ok" and second.etag == '"v2"'


@pytest.mark.parametrize("code", [301, 308])
def test_permanent_redirect_reports_new_url(srv: FeedServer, code: int) -> None:
    srv.redirect("/old.xml", "/new.xml", status=code)
    srv.route("/new.xml", body=FEED)
    res = fetch(srv.url("/old.xml"))
    assert res.kind == "ok" and res.body == FEED
    assert res.permanent_redirect_to == srv.url("/new.xml")
    assert res.final_url == srv.url("/new.xml")


@pytest.mark.parametrize("code", [302, 307])
def test_temporary_redirect_keeps_url(srv: FeedServer, code: int) -> None:
    srv.redirect("/tmp.xml", srv.url("/elsewhere.xml"), status=code)
    srv.route("/elsewhere.xml", body=FEED)
    res = fetch(srv.url("/tmp.xml"))
    assert res.kind == "ok" and res.permanent_redirect_to is None
    assert res.final_url == srv.url("/elsewhere.xml")


def test_permanent_then_temporary_keeps_only_permanent_hop(srv: FeedServer) -> None:
    srv.redirect("/a", "/b", status=301)
    srv.redirect("/b", "/c", status=302)
    srv.route("/c", body=FEED)
    res = fetch(srv.url("/a"))
    assert res.kind == "ok" and res.permanent_redirect_to == srv.url("/b")


def test_redirect_loop_is_an_error(srv: FeedServer) -> None:
    srv.redirect("/x", "/y", status=302)
    srv.redirect("/y", "/x", status=302)
    res = fetch(srv.url("/x"))
    assert res.kind == "error" and "redirect loop" in (res.error or "")


def test_conditional_headers_follow_redirects(srv: FeedServer) -> None:
    srv.redirect("/old.xml", "/new.xml", status=301)
    srv.route("/new.xml", body=FEED, etag='"e"')
    res = fetch(srv.url("/old.xml"), FetchState(etag='"e"'))
    assert res.kind == "not_modified" and res.permanent_redirect_to == srv.url("/new.xml")


def test_410_is_gone(srv: FeedServer) -> None:
    srv.route("/gone.xml", status=410, body=b"bye", content_type="text/plain")
    res = fetch(srv.url("/gone.xml"))
    assert res.kind == "gone" and res.status == 410 and "410" in (res.error or "")


def test_404_is_error_not_gone(srv: FeedServer) -> None:
    res = fetch(srv.url("/missing.xml"))
    assert res.kind == "error" and res.status == 404
    assert res.error == "HTTP 404 Not Found (client error)"


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_seconds(srv: FeedServer, code: int) -> None:
    srv.route("/busy.xml", status=code, retry_after=120, body=b"slow down")
    res = fetch(srv.url("/busy.xml"))
    assert res.kind == "error" and res.status == code and res.retry_after == 120
    assert str(code) in (res.error or "") and "retry after 120 s" in (res.error or "")


def test_retry_after_http_date(srv: FeedServer) -> None:
    srv.route("/busy.xml", status=503, retry_after=http_date(time.time() + 600))
    res = fetch(srv.url("/busy.xml"))
    assert res.retry_after is not None and 590 <= res.retry_after <= 600


def test_header_parsers() -> None:
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=2e9) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_max_age("public, max-age=300, must-revalidate") == 300
    assert parse_max_age("s-maxage=20") is None and parse_max_age("no-cache") is None


def test_read_timeout(srv: FeedServer) -> None:
    srv.route("/slow.xml", body=FEED, delay=3.0)
    started = time.monotonic()
    res = fetch(srv.url("/slow.xml"), timeout_read=0.3)
    assert time.monotonic() - started < 2.0
    assert res.kind == "error" and res.error is not None
    assert res.error.startswith("timeout:") and "read timeout" in res.error


def test_total_deadline(srv: FeedServer) -> None:
    srv.route("/slow.xml", body=FEED, delay=3.0)
    res = fetch(srv.url("/slow.xml"), timeout_read=10.0, total_timeout=0.3)
    assert res.kind == "error" and (res.error or "").startswith("timeout:")


def test_connection_refused() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    res = fetch(f"http://127.0.0.1:{port}/feed.xml")
    assert res.kind == "error" and "connection refused" in (res.error or "")


def test_dns_failure() -> None:
    res = fetch("http://no-such-host.invalid/feed.xml")
    assert res.kind == "error" and "DNS lookup failed" in (res.error or "")


@pytest.mark.parametrize("chunked", [False, True])
def test_body_over_cap(srv: FeedServer, chunked: bool) -> None:
    srv.route("/huge.xml", body_size=11 * 1024 * 1024, chunked=chunked)
    res = fetch(srv.url("/huge.xml"))
    assert res.kind == "error" and res.error == "response larger than 10 MB cap"


def test_small_cap_message(srv: FeedServer) -> None:
    srv.route("/feed.xml", body=FEED)
    res = fetch(srv.url("/feed.xml"), max_bytes=100)
    assert res.error == "response larger than 100 bytes cap"


def test_gzip_is_decoded_and_cap_counts_decoded_bytes(srv: FeedServer) -> None:
    srv.route("/gz.xml", body=FEED, gzip=True)
    res = fetch(srv.url("/gz.xml"))
    assert res.kind == "ok" and res.body == FEED
    assert "gzip" in srv.requests_for("/gz.xml")[0].headers["accept-encoding"]
    bomb = b"<rss>" + b" " * 2_000_000 + b"</rss>"
    srv.route("/bomb.xml", body=bomb, gzip=True)
    assert fetch(srv.url("/bomb.xml"), max_bytes=1_000_000).kind == "error"


def test_wrong_content_type_still_fetched(srv: FeedServer) -> None:
    srv.route("/feed.txt", body=FEED, content_type="text/plain")
    res = fetch(srv.url("/feed.txt"))
    assert res.kind == "ok" and res.content_type == "text/plain"


def test_html_page_is_fetched_ok(srv: FeedServer) -> None:
    srv.route("/page", body=html_page("Accueil", alternate="/rss.xml"), content_type="text/html")
    res = fetch(srv.url("/page"))
    assert res.kind == "ok" and b"alternate" in res.body


def test_sequence_of_answers(srv: FeedServer) -> None:
    srv.sequence("/flaky.xml", [Route(status=503, retry_after=5), Route(body=FEED)])
    assert fetch(srv.url("/flaky.xml")).kind == "error"
    assert fetch(srv.url("/flaky.xml")).kind == "ok"
    assert fetch(srv.url("/flaky.xml")).kind == "ok"


def test_local_file_and_file_url(tmp_path: Path) -> None:
    path = tmp_path / "flux local.xml"
    path.write_bytes(FEED)
    first = fetch(str(path))
    assert first.kind == "ok" and first.body == FEED and first.etag
    again = fetch(str(path), first.state)
    assert again.kind == "not_modified" and again.etag == first.etag
    as_url = fetch(path.as_uri(), first.state)
    assert as_url.kind == "not_modified"
    path.write_bytes(FEED + b"<!-- changed -->")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    changed = fetch(path.as_uri(), first.state)
    assert changed.kind == "ok" and changed.etag != first.etag


def test_local_file_errors(tmp_path: Path) -> None:
    missing = fetch(str(tmp_path / "absent.xml"))
    assert missing.kind == "error" and "file not found" in (missing.error or "")
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 2048)
    assert fetch(str(big), max_bytes=1024).error == "response larger than 1024 bytes cap"


def test_unsupported_scheme() -> None:
    res = fetch("ftp://example.org/feed.xml")
    assert res.kind == "error" and "unsupported" in (res.error or "")


def test_client_is_reused_across_fetches(srv: FeedServer) -> None:
    srv.route("/a.xml", body=FEED)

    async def go() -> list[FetchResult]:
        async with make_client() as client:
            reqs = [FetchRequest(srv.url("/a.xml")) for _ in range(5)]
            return [await fetch_feed(client, r.url, r.state) for r in reqs]

    assert all(r.kind == "ok" for r in asyncio.run(go()))
    assert "VeilleBot" in srv.requests_for("/a.xml")[0].headers["user-agent"]


# --- politeness: per-host limits, concurrency across hosts -----------------------------------


def test_host_limiter_caps_concurrency_and_spaces_starts() -> None:
    async def go() -> tuple[list[float], int]:
        limiter = HostLimiter(max_per_host=2, min_delay=0.05)
        starts: list[float] = []
        peak = 0

        async def one() -> None:
            nonlocal peak
            async with limiter.slot("https://lemonde.example/feed"):
                starts.append(time.monotonic())
                peak = max(peak, limiter.in_flight("lemonde.example"))
                await asyncio.sleep(0.05)

        await asyncio.gather(*(one() for _ in range(6)))
        return starts, peak

    starts, peak = asyncio.run(go())
    assert peak == 2
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(g >= 0.045 for g in gaps), gaps


def test_host_key() -> None:
    assert host_key("https://WWW.Lemonde.fr/rss.xml") == "www.lemonde.fr"
    assert host_key("http://127.0.0.1:8080/a") == "127.0.0.1:8080"
    assert host_key("/tmp/feed.xml") == host_key("file:///tmp/feed.xml") == "file:"


def test_fetch_all_slow_host_does_not_delay_others() -> None:
    with FeedServer() as slow, second_loopback() as fast:
        slow.route("/feed.xml", body=FEED, delay=1.0)
        for i in range(10):
            fast.route(f"/f{i}.xml", body=FEED, etag=f'"e{i}"')
        reqs = [FetchRequest(slow.url("/feed.xml"))]
        reqs += [
            FetchRequest(fast.url(f"/f{i}.xml"), FetchState(etag=f'"e{i}"')) for i in range(10)
        ]

        async def go() -> tuple[list[FetchResult], float]:
            limiter = HostLimiter(max_per_host=4, min_delay=0.0)
            async with make_client(timeout_read=0.5) as client:
                fast_done = 0.0
                t0 = time.monotonic()

                async def timed() -> list[FetchResult]:
                    nonlocal fast_done
                    out = await fetch_all(client, reqs[1:], limiter)
                    fast_done = time.monotonic() - t0
                    return out

                slow_res, fast_res = await asyncio.gather(
                    fetch_all(client, reqs[:1], limiter), timed()
                )
                return slow_res + fast_res, fast_done

        results, fast_done = asyncio.run(go())
    assert results[0].kind == "error" and "timeout" in (results[0].error or "")
    assert [r.kind for r in results[1:]] == ["not_modified"] * 10
    assert fast_done < 0.4


def test_fetch_all_keeps_order_and_mixes_kinds(tmp_path: Path) -> None:
    local = tmp_path / "f.xml"
    local.write_bytes(FEED)
    with FeedServer() as srv:
        srv.route("/ok.xml", body=FEED)
        srv.route("/gone.xml", status=410)
        reqs = [
            FetchRequest(srv.url("/ok.xml")),
            FetchRequest(srv.url("/gone.xml")),
            FetchRequest(str(local)),
            FetchRequest(srv.url("/missing")),
        ]

        async def go() -> list[FetchResult]:
            async with make_client() as client:
                return await fetch_all(client, reqs, HostLimiter(2, 0.01))

        kinds = [r.kind for r in asyncio.run(go())]
    assert kinds == ["ok", "gone", "ok", "error"]


# --- backoff: when to poll next ---------------------------------------------------------------


def test_failure_backoff_full_jitter_capped_never_gives_up() -> None:
    rng = random.Random(7)
    for n in range(1, 60):
        ceiling = min(3600.0, 60.0 * 2 ** (n - 1))
        d = failure_delay(n, base=60, cap=3600, rng=rng)
        assert 1.0 <= d <= ceiling
    delays = [failure_delay(10, base=60, cap=3600, rng=rng) for _ in range(200)]
    assert max(delays) > 2500 and min(delays) < 1000  # spread over [0, cap]
    assert failure_delay(1000, base=60, cap=3600, rng=rng) <= 3600


def test_failure_backoff_is_deterministic_and_honours_retry_after() -> None:
    a = [failure_delay(n, rng=random.Random(1)) for n in range(1, 8)]
    b = [failure_delay(n, rng=random.Random(1)) for n in range(1, 8)]
    assert a == b
    assert failure_delay(1, base=60, rng=random.Random(1), retry_after=900) == 900
    assert failure_delay(1, rng=random.Random(1), retry_after=10**9) == 24 * 3600


def _hourly(now: datetime, n: int, every: timedelta) -> list[datetime]:
    return [now - i * every for i in range(n)]


def test_success_delay_adapts_to_publication_frequency() -> None:
    now = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)
    kw: dict[str, Any] = {"base": 900, "min_interval": 120, "max_interval": 6 * 3600, "now": now}
    busy = success_delay(published=_hourly(now, 20, timedelta(minutes=10)), **kw)
    calm = success_delay(published=_hourly(now, 20, timedelta(hours=3)), **kw)
    assert busy == 300 and calm == 5400
    assert success_delay(published=_hourly(now, 20, timedelta(seconds=30)), **kw) == 120
    assert success_delay(published=_hourly(now, 20, timedelta(days=2)), **kw) == 6 * 3600
    assert success_delay(published=[], **kw) == 900  # no history: the configured interval
    quiet = _hourly(now - timedelta(hours=8), 20, timedelta(minutes=10))
    assert success_delay(published=quiet, **kw) == 2 * 3600  # gone quiet: a quarter of silence


def test_success_delay_lower_bounds_from_headers_and_ttl() -> None:
    now = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)
    kw: dict[str, Any] = {"base": 300, "min_interval": 60, "max_interval": 3600, "now": now}
    assert success_delay(max_age=1200, **kw) == 1200
    assert success_delay(ttl_minutes=30, **kw) == 1800
    assert success_delay(ttl_minutes=1, max_age=10, **kw) == 300
    assert success_delay(ttl_minutes=24 * 60, **kw) == 3600  # never past the feed's maximum
    j = [success_delay(rng=random.Random(3), jitter=0.1, **kw) for _ in range(3)]
    assert all(270 <= x <= 330 for x in j)
    assert next_poll_at(now, 90) == now + timedelta(seconds=90)


# --- optional full text -----------------------------------------------------------------------

ARTICLE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Le conseil municipal vote le budget</title></head><body>
<nav><a href="/">Accueil</a> | <a href="/politique">Politique</a> | <a href="/sport">Sport</a></nav>
<article><h1>Le conseil municipal vote le budget</h1>
<p>Le conseil municipal a adopté mardi soir, après plus de quatre heures de débats, un budget
en hausse de trois pour cent, porté par les investissements dans les écoles et les transports.</p>
<p>L'opposition a dénoncé une hausse de la fiscalité locale et réclamé un audit indépendant des
comptes de la ville, une demande que la majorité a rejetée en fin de séance.</p>
<p>Le maire a promis de présenter en juin un plan pluriannuel pour la rénovation des gymnases,
des piscines et des bibliothèques de quartier, dont plusieurs ferment régulièrement l'hiver.</p>
</article><footer>Mentions légales - Contact - Plan du site</footer></body></html>"""


def test_fetch_fulltext(srv: FeedServer) -> None:
    pytest.importorskip("trafilatura")
    from scheduler.fulltext import fetch_fulltext

    srv.route("/article.html", body=ARTICLE, content_type="text/html; charset=utf-8")
    srv.redirect("/a", "/article.html", status=302)
    srv.route("/data.json", body=b"{}", content_type="application/json")

    async def go() -> list[str | None]:
        async with make_client(timeout_read=2.0) as client:
            limiter = HostLimiter(2, 0.0)
            return [
                await fetch_fulltext(client, srv.url(p), limiter)
                for p in ("/a", "/missing", "/data.json")
            ]

    text, missing, data = asyncio.run(go())
    assert text is not None and "budget en hausse de trois pour cent" in text
    assert "Mentions légales" not in text and "Accueil" not in text
    assert missing is None and data is None


def test_permanent_redirect_to_a_broken_url_is_not_reported(srv: FeedServer) -> None:
    srv.redirect("/old.xml", "/broken.xml", status=301)
    srv.route("/broken.xml", status=500, body=b"oops")
    res = fetch(srv.url("/old.xml"))
    assert res.kind == "error" and res.status == 500 and res.permanent_redirect_to is None
    assert res.final_url == srv.url("/broken.xml")


def test_idle_connections_are_closed_after_keepalive(srv: FeedServer) -> None:
    """A long-lived client reuses a warm connection, and drops it once it has been idle."""
    srv.route("/f.xml", body=FEED)

    async def go() -> tuple[int, int]:
        async with make_client(keepalive=0.3) as client:
            await fetch_feed(client, srv.url("/f.xml"))
            await fetch_feed(client, srv.url("/f.xml"))
            warm = len(srv.connections())
            await asyncio.sleep(0.8)
            await fetch_feed(client, srv.url("/f.xml"))
            return warm, len(srv.connections())

    assert asyncio.run(go()) == (1, 2)
