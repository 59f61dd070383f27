"""Tools to break things for real: a Redis server of our own, a TCP proxy we can cut, a
workload feed written for these tests, and the counts a run leaves in the database.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feedserver import rss_feed
from receivers import free_port
from sqlalchemy import func, select

from veille.models import Alert, Delivery, Item, StatementRow

# speakers (name, role, capital) and acts that the extractor reads as warnings and demands
SPEAKERS = [
    ("Antony Blinken", "le secrétaire d'Etat américain", "Washington"),
    ("Sergueï Lavrov", "le ministre russe des affaires étrangères", "Moscou"),
    ("Jens Stoltenberg", "le secrétaire général de l'Otan", "Bruxelles"),
    ("Dmytro Kouleba", "le ministre ukrainien des affaires étrangères", "Kiev"),
    ("Annalena Baerbock", "la ministre allemande des affaires étrangères", "Berlin"),
    ("Jean-Yves Le Drian", "le ministre français des affaires étrangères", "Paris"),
]
PLACES = [
    "la frontière ukrainienne",
    "la Crimée",
    "la mer Noire",
    "la Biélorussie",
    "la Transnistrie",
    "le Donbass",
    "la Baltique",
    "la Géorgie",
    "Kaliningrad",
    "Marioupol",
]


def workload(n: int) -> bytes:
    """An RSS feed of ``n`` distinct items, each with a warning and a demand."""
    items = []
    for i in range(n):
        name, role, city = SPEAKERS[i % len(SPEAKERS)]
        place = PLACES[(i // len(SPEAKERS)) % len(PLACES)]
        day = 1 + i % 28
        text = (
            f"{role.capitalize()}, {name}, a averti le {day} mars que toute offensive vers "
            f"{place} aurait « des conséquences massives » et un coût très lourd. "
            f"« Nous exigeons le retrait immédiat des troupes massées près de {place} », "
            f"a déclaré {name} à {city} lors d'une conférence de presse numéro {i}."
        )
        items.append(
            {
                "title": f"{name} met en garde sur {place} ({i})",
                "description": text,
                "guid": f"urn:veille-test:{i}",
                "pubDate": f"Tue, {day:02d} Mar 2022 10:00:00 GMT",
            }
        )
    return rss_feed("Fil de test", items)


def counts(sessions: Any) -> dict[str, int]:
    """What a run left: items (processed or not), statements, alerts, webhook deliveries."""
    with sessions() as s:
        n = lambda q: int(s.scalar(q) or 0)  # noqa: E731
        return {
            "items": n(select(func.count()).select_from(Item)),
            "unprocessed": n(
                select(func.count()).select_from(Item).where(Item.processed_at.is_(None))
            ),
            # items of one story processed side by side may each keep the story's statements:
            # what must neither go missing nor double is each distinct statement
            "statements": n(
                select(func.count()).select_from(
                    select(StatementRow.speaker, StatementRow.type, StatementRow.sentence)
                    .distinct()
                    .subquery()
                )
            ),
            "alerts": n(select(func.count()).select_from(Alert)),
            "webhook_sent": n(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.channel.like("webhook:%"), Delivery.status == "sent")
            ),
        }


def wait_for(
    check: Callable[[], bool],
    timeout: float,
    step: float = 0.25,
    state: Callable[[], object] | None = None,
) -> float:
    """Seconds until ``check()`` holds; AssertionError after ``timeout`` (with ``state()``)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            seen = f": {state()}" if state is not None else ""
            raise AssertionError(f"not reached within {timeout} s{seen}")
        time.sleep(step)
    return time.monotonic() - start


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class RedisServer:
    """A redis-server of our own on a free port: kill it and start it again on the same port."""

    def __init__(self, tmp: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.dir = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        assert self.binary, "redis-server is not installed"
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _listening(self.port), 10, 0.05)
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; `cut()` drops every connection and refuses new
    ones (the database "disappears"), `restore()` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._socks: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> TcpProxy:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._socks.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def cut(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            self._listener.close()
            self._listener = None
        with self._lock:
            socks, self._socks = self._socks, set()
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self) -> None:
        self.start()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cut()
