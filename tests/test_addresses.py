"""Internal addresses (SSRF): article pages, and feeds when scaled out, are never fetched from
this machine, private networks, link-local or metadata addresses unless the operator allows
them (fetch_allow_networks). Real loopback servers; refused addresses are never connected to.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from feedserver import FeedServer, rss_feed
from sqlalchemy import select

from scheduler.addresses import AddressPolicy
from scheduler.fetch import FetchResult, fetch_feed, make_client, make_clients
from scheduler.fulltext import fetch_fulltext
from scheduler.jobs import feeds_to_poll, poll_cycle
from veille.models import Feed, Item
from veille.settings import FeedConfig, Settings
from worker.context import build_runtime

FEED = rss_feed("Fil", [("Titre un", "Résumé un"), ("Titre deux", "Résumé deux")])
PAGE = (
    "<html><body><article><h1>Le conseil</h1>"
    + "<p>Le conseil de sécurité s'est réuni mardi pour examiner la situation à la frontière, "
    "où les forces se font face depuis plusieurs semaines sans que les négociations avancent.</p>"
    * 4
    + "</article></body></html>"
).encode()
LOOPBACK_ONLY = AddressPolicy.from_setting(["127.0.0.1/32"])


class Collect:
    """The dispatch boundary: item ids are not what these tests look at."""

    def items(self, item_ids: Sequence[int]) -> None:
        pass

    def deliveries(self) -> None:
        pass


@pytest.fixture
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.route("/f.xml", body=FEED)
        server.route("/page.html", body=PAGE, content_type="text/html; charset=utf-8")
        yield server


def feed(url: str, policy: AddressPolicy | None) -> FetchResult:
    async def go() -> FetchResult:
        async with make_client(timeout_connect=2.0, timeout_read=2.0, policy=policy) as client:
            return await fetch_feed(client, url)

    return asyncio.run(go())


def page(url: str, policy: AddressPolicy | None) -> str | None:
    async def go() -> str | None:
        async with make_client(timeout_connect=2.0, timeout_read=2.0, policy=policy) as client:
            return await fetch_fulltext(client, url)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("fd12::1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.10.1", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("224.0.0.251", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("100.64.0.1", "not a globally routable address"),
        ("::ffff:127.0.0.1", "a loopback address (127.0.0.1 inside ::ffff:127.0.0.1)"),
        ("64:ff9b::a9fe:a9fe", "a cloud metadata address (169.254.169.254 inside"),
        ("2002:a00:1::", "a private address (10.0.0.1 inside 2002:a00:1::)"),
        ("8.8.8.8", None),
        ("2a00:1450:4007::1", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_internal_addresses_are_named_and_global_ones_pass(address: str, kind: str | None) -> None:
    problem = AddressPolicy().problem(address)
    assert problem == kind if kind is None else problem and problem.startswith(kind)


def test_allowed_networks_let_their_addresses_through() -> None:
    allowed = AddressPolicy.from_setting(["127.0.0.0/8", "fd00::/8"])
    assert allowed.problem("127.0.0.2") is None and allowed.problem("::ffff:127.0.0.1") is None
    assert allowed.problem("fd00:ec2::254") is None
    assert allowed.problem("::1") == "a loopback address"
    assert allowed.problem("10.0.0.1") == "a private address"


def test_a_page_on_loopback_is_refused_unless_allowed(srv: FeedServer) -> None:
    pytest.importorskip("trafilatura")
    assert page(srv.url("/page.html"), AddressPolicy()) is None
    assert srv.requests_for("/page.html") == [], "a refused address is never connected to"
    text = page(srv.url("/page.html"), AddressPolicy.from_setting(["127.0.0.0/8"]))
    assert text and "conseil de sécurité" in text


def test_a_refused_feed_says_which_address_and_how_to_allow_it(srv: FeedServer) -> None:
    res = feed(srv.url("/f.xml"), AddressPolicy())
    assert res.kind == "error"
    assert res.error == "refused: 127.0.0.1 is a loopback address (allow with fetch_allow_networks)"
    assert srv.requests_for("/f.xml") == []
    assert feed(srv.url("/f.xml"), LOOPBACK_ONLY).kind == "ok"


def test_a_name_that_resolves_to_loopback_is_refused(srv: FeedServer) -> None:
    url = srv.url("/f.xml").replace("127.0.0.1", "localhost")
    res = feed(url, AddressPolicy())
    assert res.kind == "error" and res.error
    assert res.error.startswith("refused: localhost resolves to ")
    assert "a loopback address (allow with fetch_allow_networks)" in res.error
    assert page(url.replace("/f.xml", "/page.html"), AddressPolicy()) is None
    assert srv.requests == []


@pytest.mark.parametrize(
    ("target", "refused"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
        ("http://10.0.0.1/admin", "10.0.0.1 is a private address"),
        ("http://[::1]:{port}/page.html", "::1 is a loopback address"),
        ("http://127.0.0.2:{port}/page.html", "127.0.0.2 is a loopback address"),
        ("http://2130706433:{port}/page.html", "2130706433 is not a canonical IP address"),
    ],
)
def test_a_redirect_to_a_refused_address_is_refused(
    srv: FeedServer, target: str, refused: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The first server is allowed (127.0.0.1/32); where it redirects to is checked too."""
    srv.redirect("/moved.xml", target.format(port=srv.port), status=302)
    srv.redirect("/moved.html", target.format(port=srv.port), status=302)
    res = feed(srv.url("/moved.xml"), LOOPBACK_ONLY)
    assert res.kind == "error" and res.error and res.error.startswith(f"refused: {refused}")
    with caplog.at_level("WARNING", logger="scheduler.fulltext"):
        assert page(srv.url("/moved.html"), LOOPBACK_ONLY) is None
    assert f"refused: {refused}" in caplog.text
    assert srv.requests_for("/page.html") == []


def test_a_redirect_to_a_name_that_resolves_to_loopback_is_refused(srv: FeedServer) -> None:
    """An allowed origin (127.0.0.2) sends the client to localhost, which is 127.0.0.1."""
    try:
        origin = FeedServer(host="127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")
    with origin:
        origin.redirect("/moved.xml", f"http://localhost:{srv.port}/f.xml", status=301)
        res = feed(origin.url("/moved.xml"), AddressPolicy.from_setting(["127.0.0.2"]))
    assert res.error and res.error.startswith("refused: localhost resolves to 127.0.0.1")
    assert len(origin.requests) == 1 and srv.requests == []


def test_the_configured_proxy_is_reached_whatever_its_address() -> None:
    """With http_proxy the proxy resolves the pages' names; it is the operator's own host."""
    from scheduler.addresses import AddressRefused, GuardedResolver

    async def go(exempt: list[str]) -> list[str]:
        answers = await GuardedResolver(AddressPolicy(), exempt).resolve("localhost", 3128)
        return [a["host"] for a in answers]

    assert "127.0.0.1" in asyncio.run(go(["localhost"]))
    with pytest.raises(AddressRefused, match="localhost resolves to"):
        asyncio.run(go([]))


def test_embedded_feeds_are_not_restricted_but_their_pages_are(srv: FeedServer) -> None:
    async def go(settings: Settings) -> tuple[FetchResult, FetchResult]:
        feeds, pages = make_clients(settings)
        try:
            return await fetch_feed(feeds, srv.url("/f.xml")), await fetch_feed(
                pages, srv.url("/f.xml")
            )
        finally:
            await feeds.close()
            await pages.close()

    from_feeds, from_pages = asyncio.run(go(Settings()))
    assert from_feeds.kind == "ok", "the operator's own local feeds keep working embedded"
    assert from_pages.error and from_pages.error.startswith("refused: 127.0.0.1")
    scaled_out = asyncio.run(go(Settings(broker_url="redis://127.0.0.1:6379/11")))
    assert all(r.error and r.error.startswith("refused: 127.0.0.1") for r in scaled_out)


def _poll(tmp_path: Path, srv: FeedServer, fulltext: bool, **settings: object) -> Feed:
    """One polling cycle of the server's feed; the stored feed."""
    s = Settings(
        database_url=f"sqlite:///{tmp_path / 'v.db'}",
        feeds=(FeedConfig(srv.url("/f.xml"), fulltext=fulltext),),
        **settings,  # type: ignore[arg-type]
    )
    rt = build_runtime(s, stream=io.StringIO())
    try:
        poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
        with rt.sessions() as session:
            stored = session.scalars(select(Feed)).one()
            session.expunge(stored)
            return stored
    finally:
        rt.close()


def _items(tmp_path: Path) -> list[Item]:
    from veille.db import make_engine, session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'v.db'}")
    try:
        with session_factory(engine)() as session:
            items = list(session.scalars(select(Item).order_by(Item.id)))
            session.expunge_all()
            return items
    finally:
        engine.dispose()


def test_a_fulltext_page_on_loopback_is_refused_and_the_item_kept(
    tmp_path: Path, srv: FeedServer
) -> None:
    item = {"title": "Le conseil", "description": "Un chapeau.", "link": srv.url("/page.html")}
    srv.route("/f.xml", body=rss_feed("Fil", [{**item, "guid": "a1"}]))
    stored = _poll(tmp_path, srv, fulltext=True)
    assert stored.last_error is None, "the feed itself (embedded, local) is fine"
    [kept] = _items(tmp_path)
    assert kept.summary == "Un chapeau." and kept.body is None
    assert srv.requests_for("/page.html") == []


def test_scaled_out_a_feed_on_loopback_is_refused_unless_allowed(
    tmp_path: Path, srv: FeedServer
) -> None:
    broker = "redis://127.0.0.1:6379/11"  # never contacted: the dispatcher collects the ids
    stored = _poll(tmp_path, srv, fulltext=False, broker_url=broker)
    assert stored.last_error and stored.last_error.startswith(
        "refused: 127.0.0.1 is a loopback address (allow with fetch_allow_networks)"
    )
    assert srv.requests_for("/f.xml") == [] and _items(tmp_path) == []
    stored = _poll(
        tmp_path, srv, fulltext=False, broker_url=broker, fetch_allow_networks=("127.0.0.0/8",)
    )
    assert stored.last_error is None and len(_items(tmp_path)) == 2


def test_the_command_line_flag_allows_a_network(tmp_path: Path, srv: FeedServer) -> None:
    pytest.importorskip("trafilatura")
    from click.testing import CliRunner

    from veille.cli import main

    item = {"title": "Le conseil", "description": "Un chapeau.", "link": srv.url("/page.html")}
    srv.route("/f.xml", body=rss_feed("Fil", [{**item, "guid": "a1"}]))
    cfg = tmp_path / "v.toml"
    cfg.write_text(
        f'database_url = "sqlite:///{tmp_path / "v.db"}"\n'
        f'[[feeds]]\nurl = "{srv.url("/f.xml")}"\nfulltext = true\n'
    )
    runner = CliRunner()
    bad = runner.invoke(
        main, ["poll", "--once", "--config", str(cfg), "--fetch-allow-networks", "lan"]
    )
    assert bad.exit_code == 2 and "fetch_allow_networks: 'lan' is not an IP network" in bad.output
    args = [
        "poll",
        "--once",
        "--config",
        str(cfg),
        "--fetch-allow-networks",
        "10.0.0.0/8,127.0.0.1",
    ]
    assert runner.invoke(main, args, env={"VEILLE_CONFIG": None}).exit_code == 0
    [kept] = _items(tmp_path)
    assert kept.body and "conseil de sécurité" in kept.body
