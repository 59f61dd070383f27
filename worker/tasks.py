"""The Celery app and its tasks: thin wrappers over worker.pipeline and worker.outbox.

Only ids travel through the broker. The spaCy model is loaded once in the worker's main
process, before the pool forks, so a replacement child (after a crash or a kill) is ready in
milliseconds and shares the model's memory; each child opens its own database connections on
first use. Tasks are acknowledged late, so a worker killed mid-task leaves its message to
another worker; the database makes the second run harmless. A task that cannot reach the
database or the broker is retried with backoff, for as long as the outage lasts: its message
is only acknowledged once the retry is queued.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery, signals

from veille.settings import Settings, load_settings
from worker.context import Runtime, build_runtime
from worker.outbox import deliver_due
from worker.pipeline import StatementExtractor, process_item, record_failure
from worker.retryable import is_connection_error

log = logging.getLogger("veille.worker")

app = Celery("veille")
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,  # a worker waits for its broker, however long
    broker_transport_options={"socket_connect_timeout": 5},
    worker_hijack_root_logger=False,
    # children start in milliseconds (the model is inherited), but a loaded machine is slow
    worker_proc_alive_timeout=30,
)

_settings: Settings | None = None
_runtime: Runtime | None = None
_extractor: StatementExtractor | None = None
_lock = threading.Lock()

# Backoff for connection errors: 1 s, 2 s, 4 s, 8 s, then every 10 s, retried as long as the outage lasts.
MAX_BACKOFF = 10


def configure(settings: Settings) -> Celery:
    """Point the app at the configured broker; called by the CLI before starting a role."""
    global _settings
    _settings = settings
    if app.conf.broker_url != settings.broker_url:
        app._after_fork()  # forget pooled connections to a previous broker
    app.conf.broker_url = settings.broker_url
    return app


def runtime() -> Runtime:
    """This process's runtime, built on first use (after the worker forked)."""
    global _runtime
    with _lock:
        if _runtime is None:
            settings = _settings or load_settings()
            _runtime = build_runtime(settings, extractor=_extractor)
        return _runtime


def preload_extractor(settings: Settings) -> StatementExtractor:
    """Load the spaCy model once in the worker's main process; forked children inherit it."""
    global _extractor
    if _extractor is None:
        from worker.extract import Extractor, load_model

        log.info("loading spaCy model %s", settings.spacy_model)
        _extractor = Extractor(load_model(settings.spacy_model))
    return _extractor


@signals.worker_init.connect
def _load_before_fork(**_: Any) -> None:
    """The pool's children are forked after this: none of them loads the model again."""
    preload_extractor(_settings or load_settings())


@signals.worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    """A forked child must not reuse its parent's sockets: it builds its own runtime lazily."""
    global _runtime
    _runtime = None


def backoff(retries: int) -> int:
    """Seconds before the next attempt after ``retries`` connection failures."""
    return min(MAX_BACKOFF, 2 ** min(retries, 10))


@app.task(name="veille.process_item", bind=True, max_retries=5, default_retry_delay=30)
def process_item_task(self: Any, item_id: int) -> dict[str, Any]:
    """Extract one stored item and record its alerts, then enqueue their delivery."""
    try:
        rt = runtime()
        result = process_item(rt.pipeline(), item_id)
    except Exception as exc:
        if is_connection_error(exc):
            # nothing was done and nothing can be recorded: come back when the service is
            delay = backoff(self.request.retries)
            log.warning("item %s: %s; retrying in %ss", item_id, _short(exc), delay)
            raise self.retry(exc=exc, countdown=delay, max_retries=None) from exc
        _record(item_id, exc)
        log.exception("item %s failed; will retry", item_id)
        raise self.retry(exc=exc) from exc
    if result.alert_ids:
        _enqueue_delivery(list(result.alert_ids))
    return {"item_id": item_id, "statements": result.statements, "alerts": len(result.alert_ids)}


@app.task(name="veille.deliver", bind=True, max_retries=None)
def deliver_task(self: Any, alert_ids: list[str] | None = None) -> dict[str, int]:
    """Send due deliveries (of these alerts, or all); claiming makes duplicates harmless."""
    try:
        rt = runtime()
        return deliver_due(rt.sessions, rt.channels, alert_ids)
    except Exception as exc:
        if not is_connection_error(exc):
            raise
        delay = backoff(self.request.retries)
        log.warning("deliveries: %s; retrying in %ss", _short(exc), delay)
        raise self.retry(exc=exc, countdown=delay) from exc


def _record(item_id: int, exc: Exception) -> None:
    """Note the failure on the item; an unreachable database must not hide the retry."""
    try:
        record_failure(runtime().sessions, item_id, f"{type(exc).__name__}: {exc}")
    except Exception as second:
        log.warning("item %s: could not record the failure (%s)", item_id, _short(second))


def _enqueue_delivery(alert_ids: list[str]) -> None:
    """Ask for delivery now; if the broker is away the outbox sweep sends them later."""
    try:
        deliver_task.delay(alert_ids)
    except Exception as exc:
        if not is_connection_error(exc):
            raise
        log.warning("%d alerts wait for the outbox sweep (%s)", len(alert_ids), _short(exc))


def _short(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:200]}"
