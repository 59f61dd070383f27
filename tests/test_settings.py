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
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "a.xml").write_text("<rss/>")
    cfg.write_text('poll_interval = 42\n[[feeds]]\nurl = "feeds/a.xml"\n')
    s = load_settings(cfg, environ={"VEILLE_POLL_INTERVAL": "7"})
    assert s.poll_interval == 7 and s.embedded
    assert s.feeds[0].url == str(tmp_path / "feeds" / "a.xml")
    assert s.with_overrides(poll_interval=3, webhook_url=None).poll_interval == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"VEILLE_POLL_INTERVAL": "often"}, "poll_interval"),
        ({"VEILLE_DATABASE_URL": "mysql://x"}, "database_url"),
        ({"VEILLE_WEBHOOK_SECRET": "hunter2"}, "whsec_"),
        ({"VEILLE_DIGEST_TIME": "25:00"}, "digest_time"),
        ({"VEILLE_FETCH_ALLOW_NETWORKS": "10.0.0.0/8,10.0.0.0/33"}, "fetch_allow_networks"),
        ({"VEILLE_FETCH_ALLOW_NETWORKS": "intranet"}, "'intranet' is not an IP network"),
    ],
)
def test_bad_values_fail_with_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=env)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("whsec_", "at least 24"),
        ("whsec_!!!", "not valid base64"),
        ("whsec_not base64!", "not valid base64"),
        ("whsec_QQ==", "1 bytes"),
        ("whsec_" + "QUJD" * 7, "21 bytes"),
    ],
)
def test_bad_webhook_secrets_fail_cleanly(secret: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ={"VEILLE_WEBHOOK_SECRET": secret}, use_default_config=False)


def test_a_24_byte_webhook_secret_is_accepted() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the README's example, 24 bytes
    s = load_settings(environ={"VEILLE_WEBHOOK_SECRET": secret}, use_default_config=False)
    assert s.webhook_secret == secret


@pytest.mark.parametrize("token", ["x", " ", "abc def ghi jkl mno", "0000000000000000000"])
def test_weak_web_token_off_loopback_fails(token: str) -> None:
    env = {"VEILLE_HOST": "0.0.0.0", "VEILLE_WEB_TOKEN": token}
    with pytest.raises(SettingsError, match="web_token"):
        load_settings(environ=env, use_default_config=False)


def test_strong_web_token_off_loopback_and_any_token_on_loopback() -> None:
    strong = {"VEILLE_HOST": "0.0.0.0", "VEILLE_WEB_TOKEN": "Zk4q-9vXe2LmT7wRb1Yc"}
    assert load_settings(environ=strong, use_default_config=False).web_token
    weak_local = {"VEILLE_HOST": "127.0.0.1", "VEILLE_WEB_TOKEN": "x"}
    assert load_settings(environ=weak_local, use_default_config=False).web_token == "x"


def test_unknown_toml_key_fails(tmp_path: Path) -> None:
    cfg = tmp_path / "v.toml"
    cfg.write_text("pol_interval = 5\n")
    with pytest.raises(SettingsError, match="unknown setting 'pol_interval'"):
        load_settings(cfg, environ={})


def test_allowed_networks_from_toml_env_and_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "v.toml"
    cfg.write_text('fetch_allow_networks = ["127.0.0.0/8", "fd00::/8"]\n')
    assert load_settings(cfg, environ={}).fetch_allow_networks == ("127.0.0.0/8", "fd00::/8")
    env = {"VEILLE_FETCH_ALLOW_NETWORKS": "10.0.0.0/8, 192.168.1.7"}
    s = load_settings(cfg, environ=env)
    assert s.fetch_allow_networks == ("10.0.0.0/8", "192.168.1.7")
    assert load_settings(environ={}, use_default_config=False).fetch_allow_networks == ()
    with pytest.raises(SettingsError, match="fetch_allow_networks"):
        s.with_overrides(fetch_allow_networks=("10.0.0.300",))


def _feed_list(tmp_path: Path, entry: str) -> Path:
    cfg = tmp_path / "feeds.toml"
    cfg.write_text(f'[[feeds]]\nurl = "https://www.lemonde.fr/rss/une.xml"\n\n{entry}')
    return cfg


OK_URL = '[[feeds]]\nurl = "https://a.example/f"\n'


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('[[feeds]]\nurl = "ftp://example.org/feed.xml"', r"feeds\[1\] \('ftp://.*scheme"),
        ('[[feeds]]\nurl = "https:///feed.xml"', r"feeds\[1\].*no host"),
        ('[[feeds]]\nurl = "javascript:alert(1)"', r"feeds\[1\].*scheme"),
        ('[[feeds]]\nurl = "http://example.org:99999/x"', r"feeds\[1\].*not a valid URL"),
        ('[[feeds]]\nurl = "/etc/../proc/self/environ"', r"feeds\[1\].*system path"),
        ('[[feeds]]\nurl = "/dev/zero"', r"feeds\[1\].*system path"),
        ('[[feeds]]\nurl = "missing.xml"', r"feeds\[1\].*missing.xml is not a file"),
        ('[[feeds]]\nurl = ""', r"feeds\[1\]: each feed needs a url"),
        ("[[feeds]]\nurl = 42", r"feeds\[1\]: each feed needs a url"),
        ("[[feeds]]\ninterval = 60", r"feeds\[1\]: each feed needs a url"),
        (OK_URL + "interval = 0", r"feeds\[1\] \('https://a.example/f'\): interval: between 1"),
        (OK_URL + "interval = -5", r"interval: between 1 and"),
        (OK_URL + "interval = 99999999", r"interval: between 1 and 604800"),
        (OK_URL + 'interval = "60"', r"interval: a whole number"),
        (OK_URL + "interval = 1.5", r"interval: a whole number"),
        (OK_URL + "interval = true", r"interval: a whole number"),
        (OK_URL + 'fulltext = "false"', r"fulltext: true or false"),
        (OK_URL + "title = 3", r"title: a string"),
        (OK_URL + "every = 3", r"unknown keys \['every'\]"),
        ("feeds = 3", r"feeds: expected \[\[feeds\]\] tables"),
    ],
)
def test_each_configured_feed_is_checked_at_load(tmp_path: Path, entry: str, message: str) -> None:
    cfg = _feed_list(tmp_path, entry)
    if entry.startswith("feeds ="):
        cfg.write_text(entry)
    with pytest.raises(SettingsError, match=message) as err:
        load_settings(cfg, environ={})
    assert str(cfg) in str(err.value), "the error names the file"


def test_local_feed_files_are_resolved_and_kept(tmp_path: Path) -> None:
    """A local file is fine, embedded or scaled out: only the scheduler reads it, here."""
    (tmp_path / "wire.xml").write_text("<rss/>")
    cfg = _feed_list(tmp_path, '[[feeds]]\nurl = "wire.xml"\ninterval = 60\nfulltext = true\n')
    for env in ({}, {"VEILLE_BROKER_URL": "redis://127.0.0.1:6379/3"}):
        feed = load_settings(cfg, environ=env).feeds[1]
        assert (feed.url, feed.interval, feed.fulltext) == (str(tmp_path / "wire.xml"), 60, True)


def test_feeds_from_the_environment_are_checked_too() -> None:
    with pytest.raises(SettingsError, match=r"feeds\[1\] \('gopher://x'\).*environment"):
        load_settings(
            environ={"VEILLE_FEEDS": "https://a.example/f,gopher://x"}, use_default_config=False
        )
