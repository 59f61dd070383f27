"""Serving the web app with uvicorn: in the foreground (`veille web`) or in a background thread
(`veille run`, tests), always after checking that a non-loopback address has a token.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from veille.settings import Settings
from veille.web.app import create_app
from veille.web.security import check_binding, is_loopback

log = logging.getLogger("veille.web")


def _config(settings: Settings, sessions: sessionmaker[Session]) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, sessions),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        proxy_headers=False,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _announce(settings: Settings, url: str) -> None:
    if is_loopback(settings.host):
        log.info("web app on %s (loopback only)", url)
    else:
        log.warning("web app on %s, reachable from other machines: token required", url)


@dataclass
class ServerHandle:
    """A running web server: its URL, and ``stop()`` to shut it down."""

    url: str
    port: int
    _server: uvicorn.Server
    _thread: threading.Thread
    _sock: socket.socket

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, finish the requests in flight, free the port."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_background(
    settings: Settings, sessions: sessionmaker[Session], timeout: float = 10.0
) -> ServerHandle:
    """Serve in a daemon thread and return once listening (port 0 picks a free port)."""
    check_binding(settings.host, settings.web_token)
    sock = _bind(settings.host, settings.port)
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(_config(settings, sessions))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="veille-web", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the web server did not start on {settings.host}:{port}")
        time.sleep(0.02)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}"
    _announce(settings, url)
    return ServerHandle(url=url, port=port, _server=server, _thread=thread, _sock=sock)


def serve(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Serve in the foreground until Ctrl-C (the `veille web` command)."""
    check_binding(settings.host, settings.web_token)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    _announce(settings, f"http://{host}:{settings.port}")
    uvicorn.Server(_config(settings, sessions)).run()
