"""The `veille` command: every setting is a flag, a VEILLE_ environment variable and a TOML key."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from veille.settings import (
    FeedConfig,
    Settings,
    SettingsError,
    cli_fields,
    env_name,
    load_settings,
    resolve_feed_location,
)

F = Callable[..., Any]


def _click_type(kind: str) -> Any:
    if "int" in kind and "str" not in kind:
        return int
    if "float" in kind:
        return float
    return str


def settings_options(func: F) -> F:
    """Add one flag per setting (plus --config and --feed) to a command."""
    for name, flag, kind, help_text in reversed(cli_fields()):
        func = click.option(
            flag,
            name,
            type=_click_type(kind),
            default=None,
            help=f"{help_text} [env: {env_name(name)}]",
        )(func)
    func = click.option(
        "--feed",
        "feed",
        multiple=True,
        metavar="URL_OR_PATH",
        help="Feed to poll (repeatable); replaces the configured feed list.",
    )(func)
    func = click.option(
        "--config",
        "config",
        type=click.Path(dir_okay=False),
        default=None,
        help=f"TOML configuration file (default: seeds/feeds.toml) [env: {env_name('config')}]",
    )(func)
    return func


def build_settings(params: dict[str, Any]) -> Settings:
    """Settings from the TOML file and environment, then the flags given; exits on a bad value."""
    params = dict(params)
    config = params.pop("config", None)
    feeds = params.pop("feed", ())
    try:
        settings = load_settings(config)
        for key in (n for n, _flag, kind, _help in cli_fields() if kind.startswith("tuple")):
            if isinstance(params.get(key), str):
                params[key] = tuple(v.strip() for v in params[key].split(",") if v.strip())
        settings = settings.with_overrides(**params)
        if feeds:
            settings = settings.with_overrides(
                feeds=tuple(FeedConfig(url=resolve_feed_location(f)) for f in feeds)
            )
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))
    # A poll that outlasts its tick is normal (the next one waits); say nothing about it.
    logging.getLogger("apscheduler").setLevel(max(logging.ERROR, logging.root.level))
    return settings


def split_settings(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate setting flags from a command's own options."""
    names = {n for n, *_ in cli_fields()} | {"config", "feed"}
    return (
        {k: v for k, v in kwargs.items() if k in names},
        {k: v for k, v in kwargs.items() if k not in names},
    )


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help=(
        "Veille watches French news feeds for warnings and demands between governments and "
        "alliances, and alerts you when a fresh one appears.\n\n"
        "Every option is also an environment variable VEILLE_<NAME> and a key <name> in the "
        "TOML file (--config). Embedded by default (SQLite in ./var, tasks in-process); set "
        "VEILLE_BROKER_URL and VEILLE_DATABASE_URL to scale out with `veille scheduler` and "
        "`veille worker`."
    ),
)
@click.version_option(package_name="veille")
def main() -> None:
    """Entry point of the `veille` command."""


def register() -> None:
    """Attach the subcommands (kept in their own modules)."""
    from veille import (
        commands_alerts,
        commands_channels,
        commands_feeds,
        commands_items,
        commands_service,
        commands_web,
    )

    commands_service.register(main)
    commands_feeds.register(main)
    commands_items.register(main)
    commands_alerts.register(main)
    commands_channels.register(main)
    commands_web.register(main)


register()
