"""The Celery app and its tasks: thin wrappers over worker.pipeline and worker.outbox.

Only ids travel through the broker. Each worker process builds its runtime (database, spaCy
model, channels) once, when it starts. Tasks are acknowledged late, so a worker killed mid-task
leaves its message to another worker; the database makes the second run harmless.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, signals

from veille.settings import Settings, load_settings
from worker.context import Runtime, build_runtime
from worker.outbox import deliver_due
from worker.pipeline import process_item, record_failure

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
    worker_hijack_root_logger=False,
)

_settings: Settings | None = None
_runtime: Runtime | None = None


def configure(settings: Settings) -> Celery:
    """Point the app at the configured broker; called by the CLI before starting a role."""
    global _settings
    _settings = settings
    app.conf.broker_url = settings.broker_url
    return app


def runtime() -> Runtime:
    """This process's runtime, built on first use (after the worker forked)."""
    global _runtime
    if _runtime is None:
        settings = _settings or load_settings()
        _runtime = build_runtime(settings)
    return _runtime


@signals.worker_process_init.connect
def _load_once(**_: Any) -> None:
    """Load the spaCy model when a worker process starts, not on its first item."""
    runtime().extractor  # noqa: B018 - loads the model


@app.task(name="veille.process_item", bind=True, max_retries=5, default_retry_delay=30)
def process_item_task(self: Any, item_id: int) -> dict[str, Any]:
    """Extract one stored item and record its alerts, then enqueue their delivery."""
    rt = runtime()
    try:
        result = process_item(rt.pipeline(), item_id)
    except Exception as exc:
        record_failure(rt.sessions, item_id, f"{type(exc).__name__}: {exc}")
        log.exception("item %s failed; will retry", item_id)
        raise self.retry(exc=exc) from exc
    if result.alert_ids:
        deliver_task.delay(list(result.alert_ids))
    return {"item_id": item_id, "statements": result.statements, "alerts": len(result.alert_ids)}


@app.task(name="veille.deliver")
def deliver_task(alert_ids: list[str] | None = None) -> dict[str, int]:
    """Send due deliveries (of these alerts, or all); claiming makes duplicates harmless."""
    rt = runtime()
    return deliver_due(rt.sessions, rt.channels, alert_ids)
