"""One frozen settings object, read once from defaults, a TOML file, the environment and flags.

Precedence, lowest first: built-in defaults, the TOML file (``--config`` or ``VEILLE_CONFIG``;
``seeds/feeds.toml`` when neither is given), ``VEILLE_*`` environment variables, command-line
flags. A bad value fails loudly with the key and where it came from.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = PROJECT_ROOT / "seeds"
DEFAULT_CONFIG = SEEDS_DIR / "feeds.toml"
ENV_PREFIX = "VEILLE_"


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the key and its source."""


@dataclass(frozen=True)
class FeedConfig:
    """A feed to poll: an http(s) URL or a local file path."""

    url: str
    interval: int | None = None
    fulltext: bool = False
    title: str | None = None


def _opt(default: Any, help: str, flag: str | None = None, cli: bool = True) -> Any:
    return field(default=default, metadata={"help": help, "flag": flag, "cli": cli})


@dataclass(frozen=True)
class Settings:
    """Everything Veille can be configured with; every field has a TOML key and a VEILLE_ env var."""

    config: str | None = _opt(None, "TOML configuration file (default: seeds/feeds.toml).")
    database_url: str = _opt(
        "sqlite:///var/veille.db",
        "Database URL: SQLite (embedded default, WAL mode) or postgresql://…",
        flag="--db",
    )
    broker_url: str | None = _opt(
        None,
        "Celery broker URL (redis://…). Unset: tasks run in-process (embedded mode).",
        flag="--broker",
    )
    poll_interval: int = _opt(300, "Default seconds between two polls of a feed.")
    min_interval: int = _opt(60, "Shortest adaptive poll interval, seconds.")
    max_interval: int = _opt(3600, "Longest adaptive poll interval, seconds.")
    webhook_url: str | None = _opt(
        None, "Send every alert as a JSON POST to this URL.", "--webhook"
    )
    webhook_secret: str | None = _opt(None, "Standard Webhooks secret (whsec_…) to sign webhooks.")
    spacy_model: str = _opt("fr_core_news_md", "spaCy French pipeline to load.")
    user_agent: str = _opt(
        "Veille/0.1 (+https://github.com/veille-news/veille)",
        "User-Agent sent to publishers, with a contact URL.",
    )
    fetch_timeout: float = _opt(20.0, "Connect and read timeout for one fetch, seconds.")
    max_feed_bytes: int = _opt(10 * 1024 * 1024, "Size cap of one fetched feed or page, bytes.")
    per_host_connections: int = _opt(2, "Concurrent connections to one host at most.")
    per_host_delay: float = _opt(1.0, "Minimum delay between two requests to one host, seconds.")
    parse_workers: int = _opt(
        1, "Processes that parse changed feeds beside the polling loop (0: a thread instead)."
    )
    http_proxy: str | None = _opt(
        None, "Proxy for fetching feeds and article pages (http://host:port); unset: direct."
    )
    fetch_allow_networks: tuple[str, ...] = _opt(
        (),
        "Internal networks article pages (and feeds when scaled out) may be fetched from, as "
        "comma-separated CIDRs (127.0.0.0/8,10.0.0.0/8); unset: globally routable addresses only.",
    )
    dedupe_window_days: int = _opt(
        7, "A repeated statement within this many days joins its cluster."
    )
    item_attempts: int = _opt(
        3, "Attempts at extracting an item before it is set aside as failed (items retry)."
    )
    log_level: str = _opt("INFO", "Logging level (DEBUG, INFO, WARNING, ERROR).")
    worker_concurrency: int = _opt(2, "Celery worker processes started by `veille worker`.")
    host: str = _opt("127.0.0.1", "Address the web application binds to.")
    port: int = _opt(8000, "Port of the web application.")
    web_token: str | None = _opt(None, "Token required by the web app when not bound to loopback.")
    timezone: str = _opt("Europe/Paris", "Time zone of digests and of the timeline's days.")
    digest_time: str = _opt("07:00", "Local time the daily digest is sent (HH:MM).")
    digest_to: tuple[str, ...] = _opt((), "Digest recipients (comma-separated in env/flags).")
    smtp_host: str | None = _opt(None, "SMTP server for alert and digest emails.")
    smtp_port: int = _opt(587, "SMTP port.")
    smtp_security: str = _opt("starttls", "SMTP security: none, starttls or tls.")
    smtp_username: str | None = _opt(None, "SMTP user name.")
    smtp_password: str | None = _opt(None, "SMTP password.")
    smtp_from: str = _opt("veille@localhost", "From address of Veille's emails.")
    email_to: tuple[str, ...] = _opt((), "Alert email recipients (comma-separated in env/flags).")
    apprise_urls: tuple[str, ...] = _opt((), "Apprise URLs for chat/push alerts (comma-separated).")
    feeds: tuple[FeedConfig, ...] = _opt((), "Feeds to poll.", flag="--feed", cli=False)
    rules: tuple[Mapping[str, Any], ...] = _opt((), "Alert rules ([[rules]] tables).", cli=False)

    @property
    def embedded(self) -> bool:
        """True when tasks run in-process rather than on Celery workers."""
        return not self.broker_url

    def with_overrides(self, **values: Any) -> Settings:
        """Return a copy with command-line values applied (None means 'not given')."""
        given = {k: v for k, v in values.items() if v is not None and v != ()}
        return _validate(replace(self, **given), "command line")


def env_name(name: str) -> str:
    """The environment variable that sets a field."""
    return ENV_PREFIX + name.upper()


def _coerce(name: str, value: Any, kind: str, source: str) -> Any:
    try:
        if kind.startswith("tuple"):
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(value)
        if value is None:
            return None
        if "int" in kind and "str" not in kind:
            if isinstance(value, bool):
                raise ValueError("boolean given")
            return int(value)
        if "float" in kind:
            return float(value)
        if "bool" in kind:
            if isinstance(value, bool):
                return value
            low = str(value).strip().lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        return str(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{name}: bad value {value!r} from {source} ({exc})") from exc


def _feeds(raw: Any, base: Path | None, source: str) -> tuple[FeedConfig, ...]:
    from veille.feedlist import BadFeedEntry, check_entry, entry_label

    if isinstance(raw, str):
        raw = [u for u in raw.split(",") if u.strip()]
    if not isinstance(raw, list):
        raise SettingsError(f"feeds: expected [[feeds]] tables in {source}")
    out = []
    for index, entry in enumerate(raw):
        try:
            out.append(FeedConfig(**check_entry(entry, base)))
        except BadFeedEntry as exc:
            raise SettingsError(f"{entry_label(index, entry)}: {exc} (from {source})") from None
    return tuple(out)


def resolve_feed_location(url: str, base: Path | None = None) -> str:
    """Make a local feed path absolute (relative to the TOML file); leave URLs alone."""
    if "://" in url:
        return url
    path = Path(url).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return str(path.resolve())


def _validate(s: Settings, source: str) -> Settings:
    if not (s.database_url.startswith("sqlite") or s.database_url.startswith("postgresql")):
        raise SettingsError(f"database_url: unsupported database {s.database_url!r} ({source})")
    if s.broker_url and not s.broker_url.startswith(
        ("redis://", "rediss://", "amqp://", "memory://")
    ):
        raise SettingsError(f"broker_url: unsupported broker {s.broker_url!r} ({source})")
    if s.poll_interval < 1 or s.min_interval < 1 or s.max_interval < s.min_interval:
        raise SettingsError(f"poll intervals must be positive, min <= max ({source})")
    if s.parse_workers < 0 or s.parse_workers > 64:
        raise SettingsError(f"parse_workers: between 0 and 64, not {s.parse_workers} ({source})")
    if s.webhook_secret is not None:
        problem = webhook_secret_problem(s.webhook_secret)
        if problem:
            raise SettingsError(f"webhook_secret: {problem} ({source})")
    if s.web_token is not None and not is_loopback_host(s.host):
        problem = web_token_problem(s.web_token)
        if problem:
            raise SettingsError(f"web_token: {problem} (host {s.host}, {source})")
    for network in s.fetch_allow_networks:
        try:
            if not isinstance(network, str):
                raise ValueError(network)
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise SettingsError(
                f"fetch_allow_networks: {network!r} is not an IP network, expected CIDRs such as "
                f"10.0.0.0/8 or fd00::/8, comma-separated ({source})"
            ) from None
    if not 1 <= s.item_attempts <= 1000:
        raise SettingsError(f"item_attempts: between 1 and 1000, not {s.item_attempts} ({source})")
    if s.smtp_security not in {"none", "starttls", "tls"}:
        raise SettingsError(f"smtp_security: one of none, starttls, tls ({source})")
    if s.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"log_level: bad level {s.log_level!r} ({source})")
    hh, _, mm = s.digest_time.partition(":")
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
        raise SettingsError(f"digest_time: expected HH:MM, got {s.digest_time!r} ({source})")
    return s


MIN_WEBHOOK_KEY_BYTES = 24  # Standard Webhooks: keys of 24 to 64 bytes
MIN_WEB_TOKEN_CHARS = 16
MIN_WEB_TOKEN_DISTINCT = 8


def webhook_secret_problem(secret: str) -> str | None:
    """Why a ``whsec_<base64>`` secret is unusable (never quoting it), or None when it is fine."""
    if not secret.startswith("whsec_"):
        return "must start with 'whsec_' followed by base64"
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return "what follows 'whsec_' is not valid base64"
    if len(key) < MIN_WEBHOOK_KEY_BYTES:
        return (
            f"the key is {len(key)} bytes, at least {MIN_WEBHOOK_KEY_BYTES} are needed "
            "(e.g. 'whsec_' + base64 of 32 random bytes)"
        )
    return None


def web_token_problem(token: str) -> str | None:
    """Why a web token is too weak to guard an app other machines reach, or None (never quoted)."""
    if any(c.isspace() for c in token):
        return "must not contain whitespace"
    if len(token) < MIN_WEB_TOKEN_CHARS:
        return f"is {len(token)} characters, at least {MIN_WEB_TOKEN_CHARS} are needed"
    if len(set(token)) < MIN_WEB_TOKEN_DISTINCT:
        return f"needs at least {MIN_WEB_TOKEN_DISTINCT} different characters (a random secret)"
    return None


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine can connect."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _apply(values: dict[str, Any], raw: Mapping[str, Any], base: Path | None, source: str) -> None:
    kinds = {f.name: str(f.type) for f in fields(Settings)}
    for key, value in raw.items():
        if key not in kinds:
            raise SettingsError(f"unknown setting {key!r} in {source}")
        if key == "feeds":
            values["feeds"] = _feeds(value, base, source)
        elif key == "rules":
            if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
                raise SettingsError(f"rules: expected [[rules]] tables in {source}")
            values["rules"] = tuple(value)
        else:
            values[key] = _coerce(key, value, kinds[key], source)


def load_settings(
    config: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    use_default_config: bool = True,
) -> Settings:
    """Read the TOML file and the environment once into a frozen Settings."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path_str = str(config) if config else env.get(env_name("config"))
    path = Path(path_str) if path_str else (DEFAULT_CONFIG if use_default_config else None)
    if path is not None:
        if not path.exists():
            raise SettingsError(f"config file not found: {path}")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: invalid TOML ({exc})") from exc
        _apply(values, raw, path.resolve().parent, str(path))
        values["config"] = str(path)
    env_values = {
        f.name: env[env_name(f.name)]
        for f in fields(Settings)
        if f.name != "config" and env_name(f.name) in env
    }
    _apply(values, env_values, Path.cwd(), "environment")
    return _validate(Settings(**values), "configuration")


def cli_fields() -> list[tuple[str, str, str, str]]:
    """(field name, flag, type, help) for every setting that has a command-line flag."""
    out = []
    for f in fields(Settings):
        if not f.metadata.get("cli", True) or f.name == "config":
            continue
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        out.append((f.name, flag, str(f.type), f.metadata["help"]))
    return out
