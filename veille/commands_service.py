"""The service commands: run (all-in-one), poll --once, extract, scheduler, worker."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from veille.cli import build_settings, settings_options

log = logging.getLogger("veille")

# `poll --once` from cron: a feed due within this many seconds is polled now, so a job every
# N minutes does not miss a feed whose interval is N minutes by a second
ONCE_SLACK = 60.0


def _announce(settings: Any) -> None:
    mode = "embedded (tasks in-process)" if settings.embedded else f"broker {settings.broker_url}"
    log.info("database %s; %s; %d feeds", settings.database_url, mode, len(settings.feeds))


@click.command("run")
@settings_options
def run_cmd(**params: Any) -> None:
    """Run the whole service: poll, extract, alert, serve the timeline, send digests."""
    from scheduler.digest_job import add_digest_job
    from scheduler.jobs import InProcess, ViaCelery, run_forever
    from veille.web.security import InsecureBinding
    from veille.web.server import start_in_background
    from worker.context import build_runtime

    settings = build_settings(params)
    _announce(settings)
    runtime = build_runtime(settings)
    dispatcher = InProcess(runtime) if settings.embedded else ViaCelery(runtime.sessions)
    if settings.embedded:
        runtime.extractor  # noqa: B018 - load the spaCy model before the first poll
    else:
        from worker.tasks import configure

        configure(settings)
    try:
        web = start_in_background(settings, runtime.sessions)
    except InsecureBinding as exc:
        runtime.close()
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        runtime.close()
        raise click.UsageError(
            f"cannot serve the web app on {settings.host}:{settings.port} ({exc}); "
            "choose another with --port or VEILLE_PORT"
        ) from exc
    log.info("timeline on %s", web.url)
    try:
        run_forever(runtime, dispatcher, [lambda sched: add_digest_job(sched, runtime)])
    finally:
        web.stop()
        runtime.close()


@click.command("poll")
@click.option("--once", is_flag=True, required=True, help="Poll every due feed once, then exit.")
@click.option(
    "--force",
    is_flag=True,
    help="Poll every feed, even those whose next poll is later (backoff, Retry-After).",
)
@settings_options
def poll_cmd(once: bool, force: bool, **params: Any) -> None:
    """Poll every due feed once, process the new items, deliver the alerts, exit 0 (cron).

    A feed that asked us to wait (Retry-After, 429/503) or is backing off after failures is
    skipped until its next poll time, so a cron job every few minutes never hammers it.
    """
    from scheduler.feedstore import waiting_feeds
    from scheduler.jobs import InProcess, ViaCelery, feeds_to_poll, poll_cycle
    from worker.context import build_runtime

    settings = build_settings(params)
    _announce(settings)
    runtime = build_runtime(settings)
    try:
        if settings.embedded:
            dispatcher: Any = InProcess(runtime)
        else:
            from worker.tasks import configure

            configure(settings)
            dispatcher = ViaCelery(runtime.sessions)
        feed_ids = feeds_to_poll(runtime)
        if not force:
            for url, when in waiting_feeds(runtime.sessions, feed_ids, ONCE_SLACK):
                log.info("skipping %s until %s (its next poll; --force polls it now)", url, when)
        outcomes = poll_cycle(runtime, dispatcher, feed_ids, only_due=not force, slack=ONCE_SLACK)
        dispatcher.deliveries()
        failed = [o for o in outcomes if o.error]
        new = sum(len(o.new_item_ids) for o in outcomes)
        log.info("polled %d feeds: %d new items, %d failed", len(outcomes), new, len(failed))
    finally:
        runtime.close()


@click.command("extract")
@click.option(
    "--input",
    "input_",
    type=click.File("rb"),
    default="-",
    help="JSON lines {id, text[, published]}, UTF-8 (default: stdin).",
)
@click.option(
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="JSON lines {id, statements} (default: stdout).",
)
@click.option("--model", default=None, help="spaCy model [env: VEILLE_SPACY_MODEL]")
def extract_cmd(input_: Any, output: Any, model: str | None) -> None:
    """Extract statements from JSON lines, in the format of the statements spec.

    A line that cannot be read (not UTF-8, not JSON, no string "text") gets an
    {"id", "error"} record and one line on stderr; every other line is extracted. The exit
    status is 1 when any line failed.
    """
    from worker.extract import Extractor, load_model, run_jsonl

    settings = build_settings({"spacy_model": model})
    extractor = Extractor(load_model(settings.spacy_model))
    failed: list[int] = []

    def report(line: int, message: str) -> None:
        failed.append(line)
        click.echo(f"veille extract: line {line}: {message}", err=True)

    count = run_jsonl(input_, output, extractor, on_error=report)
    output.flush()
    log.info("extracted %d documents, %d lines failed", count - len(failed), len(failed))
    if failed:
        sys.exit(1)


@click.command("scheduler")
@settings_options
def scheduler_cmd(**params: Any) -> None:
    """Scaled-out role: poll the feeds, enqueue item ids for the workers, send digests."""
    from scheduler.digest_job import add_digest_job
    from scheduler.jobs import ViaCelery, run_forever
    from worker.context import build_runtime
    from worker.tasks import configure

    settings = build_settings(params)
    if settings.embedded:
        raise click.UsageError("the scheduler role needs VEILLE_BROKER_URL (or --broker)")
    configure(settings)
    _announce(settings)
    runtime = build_runtime(settings)
    try:
        run_forever(
            runtime,
            ViaCelery(runtime.sessions),
            [lambda sched: add_digest_job(sched, runtime)],
        )
    finally:
        runtime.close()


@click.command("worker")
@click.option("--pool", default="prefork", show_default=True, help="Celery pool implementation.")
@settings_options
def worker_cmd(pool: str, **params: Any) -> None:
    """Scaled-out role: Celery worker processes that extract items and deliver alerts."""
    from worker.tasks import configure

    settings = build_settings(params)
    if settings.embedded:
        raise click.UsageError("the worker role needs VEILLE_BROKER_URL (or --broker)")
    app = configure(settings)
    _announce(settings)
    app.worker_main(
        [
            "worker",
            f"--concurrency={settings.worker_concurrency}",
            f"--pool={pool}",
            f"--loglevel={settings.log_level.upper()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def register(group: click.Group) -> None:
    """Add the service commands to the `veille` group."""
    for cmd in (run_cmd, poll_cmd, extract_cmd, scheduler_cmd, worker_cmd):
        group.add_command(cmd)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_cmd())
