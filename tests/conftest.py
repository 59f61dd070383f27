"""Shared fixtures: real services (skipped locally when absent, a failure under CI=true),
the database on SQLite and PostgreSQL, the spaCy extractor loaded once, ../shared when present.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = ROOT / "seeds"
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("VEILLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get(
    "VEILLE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a service is not running here; under CI=true its absence is a failure."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: .ci/run must start it)")
    pytest.skip(message)


def require_shared() -> Path:
    """The ../shared folder (publisher texts, never committed); skip cleanly when absent."""
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture
def shared() -> Path:
    """Path of ../shared, or skip."""
    return require_shared()


def reset_postgres(url: str) -> None:
    """Give a test an empty PostgreSQL schema."""
    from sqlalchemy import text

    from veille.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite (a file, WAL mode) and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'veille.db'}"
    require_service("PostgreSQL", "127.0.0.1", 5432)
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def postgres_url() -> str:
    """An empty PostgreSQL database."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database flushed before and after the test."""
    require_service("Redis", "127.0.0.1", 6379)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def nlp():  # type: ignore[no-untyped-def]
    """The spaCy French pipeline, loaded once for the whole run."""
    from worker.extract import load_model

    return load_model("fr_core_news_md")


@pytest.fixture(scope="session")
def extractor(nlp):  # type: ignore[no-untyped-def]
    """The statement extractor over the session's spaCy pipeline."""
    from worker.extract import Extractor

    return Extractor(nlp)


ARTIFACTS = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    """Collect the files tests leave for people to look at (screenshots)."""
    config.stash[ARTIFACTS] = []


@pytest.fixture
def artifact(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Register a file a person should look at; its path is printed at the end of the run."""

    def add(label: str, path: Path) -> None:
        request.config.stash[ARTIFACTS].append(f"{label}: {path}")

    return add


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    """Name the artifacts in the test output, so a run says where its screenshot is."""
    for line in config.stash.get(ARTIFACTS, []):
        terminalreporter.write_line(line)
