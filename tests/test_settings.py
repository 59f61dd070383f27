"""Settings: defaults, TOML, environment and flags, in that order; bad values fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.settings import SEEDS_DIR, SettingsError, load_settings


def test_defaults_come_from_seeds() -> None:
    s = load_settings(environ={})
    assert s.embedded and s.database_url.startswith("sqlite")
    urls = [f.url for f in s.feeds]
    demo = str((SEEDS_DIR / "demo-feed.xml").resolve())
    assert demo in urls, "the demo feed path is resolved relative to the TOML file"
    assert any(u.startswith("https://www.lemonde.fr/") for u in urls)


def test_precedence_toml_env_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "v.toml"
    cfg.write_text(
        'poll_interval = 42\nbroker_url = "redis://127.0.0.1:6379/3"\n'
        '[[feeds]]\nurl = "feeds/a.xml"\n'
    )
    s = load_settings(cfg, environ={"VEILLE_POLL_INTERVAL": "7"})
    assert s.poll_interval == 7 and not s.embedded
    assert s.feeds[0].url == str(tmp_path / "feeds" / "a.xml")
    assert s.with_overrides(poll_interval=3, webhook_url=None).poll_interval == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"VEILLE_POLL_INTERVAL": "often"}, "poll_interval"),
        ({"VEILLE_DATABASE_URL": "mysql://x"}, "database_url"),
        ({"VEILLE_WEBHOOK_SECRET": "hunter2"}, "whsec_"),
        ({"VEILLE_DIGEST_TIME": "25:00"}, "digest_time"),
    ],
)
def test_bad_values_fail_with_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=env)


def test_unknown_toml_key_fails(tmp_path: Path) -> None:
    cfg = tmp_path / "v.toml"
    cfg.write_text("pol_interval = 5\n")
    with pytest.raises(SettingsError, match="unknown setting 'pol_interval'"):
        load_settings(cfg, environ={})
