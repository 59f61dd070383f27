"""A scripted HTTP server on 127.0.0.1 (random port, threaded) that serves feeds for tests.

Usage::

    with FeedServer() as srv:
        srv.route("/feed.xml", body=rss_feed("Demo", [("titre", "résumé")]), etag='"v1"')
        url = srv.url("/feed.xml")
        ...                                   # fetch it twice: 200, then 304
        srv.requests_for("/feed.xml")[-1].headers["if-none-match"]   # '"v1"'
        srv.requests_for("/feed.xml")[-1].status                     # 304

Recipes (keyword arguments of `route`, see Route):

* conditional GET: ``etag='"v1"'`` and/or ``last_modified=http_date(ts)``; change the feed
  with ``srv.update(path, body=..., etag='"v2"')`` (``etag=None`` stops answering 304);
* redirects: ``srv.redirect("/old", "/new", status=301)`` (302, 307, 308 too);
* gone / throttled: ``status=410``; ``status=429, retry_after=120`` (or an HTTP date);
* caching hint: ``cache_control="max-age=600"``;
* slow server: ``delay=3.0`` seconds before the headers (read timeouts);
* huge body: ``body_size=11 * 2**20`` (generated; ``chunked=True`` omits Content-Length);
* compression: ``gzip=True`` (when the client accepts gzip);
* wrong type / HTML: ``content_type="text/html"``, body ``html_page("Accueil", "/rss.xml")``;
* flaky: ``srv.sequence(path, [Route(status=503), Route(body=feed)])``, one per request.

Several servers can run at once, also on other loopback addresses (``FeedServer("127.0.0.2")``)
to stand for other hosts.
"""

from __future__ import annotations

import email.utils
import gzip as gzip_mod
import html
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass
class Route:
    """How the server answers one path; every field is optional."""

    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = RSS_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None
    retry_after: str | int | None = None
    cache_control: str | None = None
    delay: float = 0.0
    gzip: bool = False
    body_size: int | None = None
    chunked: bool = False


@dataclass(frozen=True)
class RequestRecord:
    """One request the server saw: method, path, headers (lower-case keys), answer status."""

    method: str
    path: str
    headers: dict[str, str]
    status: int
    at: float
    peer: str = ""  # client address:port, one per TCP connection


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up on purpose (size cap, timeouts) are not errors here."""


class FeedServer:
    """Threaded local HTTP server whose answers are scripted per path, with a request log."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: dict[str, list[Route]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.requests: list[RequestRecord] = []
        self._httpd = _QuietServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """The port the OS gave us."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """http://host:port with no trailing slash."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def route(self, path: str, body: bytes | str = b"", **kwargs: Any) -> Route:
        """Set (or replace) the answer for a path; see Route for the keyword arguments."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        r = Route(body=data, **kwargs)
        with self._lock:
            self._routes[path] = [r]
        return r

    def redirect(self, path: str, to: str, status: int = 301) -> Route:
        """Answer path with a redirect (301, 302, 307 or 308) to another path or URL."""
        return self.route(path, status=status, location=to, body=b"")

    def sequence(self, path: str, routes: Sequence[Route]) -> None:
        """Serve these answers in turn, one per request; the last one repeats."""
        with self._lock:
            self._routes[path] = list(routes)

    def update(self, path: str, **changes: Any) -> None:
        """Change fields of a path's current answer (e.g. a new body and etag)."""
        with self._lock:
            routes = self._routes[path]
            if "body" in changes and isinstance(changes["body"], str):
                changes["body"] = changes["body"].encode("utf-8")
            routes[0] = replace(routes[0], **changes)

    def requests_for(self, path: str) -> list[RequestRecord]:
        """The log of requests for one path, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def connections(self) -> list[str]:
        """Distinct client connections seen, in order of their first request."""
        with self._lock:
            return list(dict.fromkeys(r.peer for r in self.requests))

    def clear_log(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.requests.clear()

    def _next_route(self, path: str) -> Route | None:
        with self._lock:
            routes = self._routes.get(path)
            if not routes:
                return None
            return routes.pop(0) if len(routes) > 1 else routes[0]

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def start(self) -> FeedServer:
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and wake up any handler that is sleeping on a delay."""
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _not_modified(route: Route, headers: dict[str, str]) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None and route.etag:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or route.etag in tags or route.etag.removeprefix("W/") in tags
    ims = headers.get("if-modified-since")
    if ims and route.last_modified:
        try:
            since = email.utils.parsedate_to_datetime(ims)
            modified = email.utils.parsedate_to_datetime(route.last_modified)
        except (TypeError, ValueError):
            return False
        return modified <= since
    return False


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FeedServer/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(head=True)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(head=False)

        def _answer(self, head: bool) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = self.path.split("?", 1)[0]
            route = server._next_route(path) or server._next_route(self.path)
            if route is None:
                route = Route(status=404, body=b"not found", content_type="text/plain")
            status = route.status
            if status == 200 and _not_modified(route, headers):
                status = 304
            peer = f"{self.client_address[0]}:{self.client_address[1]}"
            server._log(RequestRecord(self.command, self.path, headers, status, time.time(), peer))
            if route.delay and server._closing.wait(route.delay):
                return
            try:
                self._send(route, status, head, headers)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _send(self, route: Route, status: int, head: bool, req: dict[str, str]) -> None:
            self.send_response(status)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            if route.location:
                self.send_header("Location", route.location)
            if route.retry_after is not None:
                self.send_header("Retry-After", str(route.retry_after))
            if route.cache_control:
                self.send_header("Cache-Control", route.cache_control)
            for k, v in route.headers.items():
                self.send_header(k, v)
            if status == 304:
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_header("Content-Type", route.content_type)
            if route.body_size is not None:
                self._send_generated(route.body_size, route.chunked, head)
                return
            body = route.body
            if route.gzip and "gzip" in req.get("accept-encoding", ""):
                body = gzip_mod.compress(body)
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _send_generated(self, size: int, chunked: bool, head: bool) -> None:
            if chunked:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            if head:
                return
            block = b"<!-- filler -->\n" * 4096
            left = size
            while left > 0 and not server._closing.is_set():
                piece = block[: min(left, len(block))]
                self.wfile.write(piece)
                left -= len(piece)

    return Handler


def http_date(ts: float | None = None) -> str:
    """An RFC 7231 date (for Last-Modified / Retry-After) of a POSIX time, now by default."""
    return email.utils.formatdate(time.time() if ts is None else ts, usegmt=True)


def rss_feed(
    title: str,
    items: Iterable[tuple[str, str] | dict[str, str]],
    *,
    link: str = "https://exemple.test/",
    ttl: int | None = None,
) -> bytes:
    """A small RSS 2.0 document; items are (title, description) pairs or dicts of RSS fields."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{html.escape(title)}</title><link>{html.escape(link)}</link>",
        "<description>Flux de test</description>",
    ]
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for i, item in enumerate(items):
        fields = item if isinstance(item, dict) else {"title": item[0], "description": item[1]}
        fields = {"guid": f"{link}article/{i}", **fields}
        inner = "".join(f"<{k}>{html.escape(v)}</{k}>" for k, v in fields.items())
        parts.append(f"<item>{inner}</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def html_page(title: str = "Accueil", alternate: str | None = None, kind: str = "rss") -> bytes:
    """An HTML page, optionally advertising a feed with <link rel="alternate" type=...>."""
    head = f"<title>{html.escape(title)}</title>"
    if alternate:
        mime = "application/atom+xml" if kind == "atom" else "application/rss+xml"
        head += f'<link rel="alternate" type="{mime}" title="Flux" href="{html.escape(alternate)}">'
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">{head}</head>'
        f"<body><h1>{html.escape(title)}</h1><p>Bienvenue.</p></body></html>"
    ).encode()
