from __future__ import annotations

import stat
from pathlib import Path

import pytest

from forum.errors import ConfigError
from forum.settings import load_settings


def test_defaults_use_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"KINDRED_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path / 'kindred.sqlite3'}"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.host == "127.0.0.1:8000"
    assert not settings.https


def test_secret_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_settings({"KINDRED_DATA_DIR": str(tmp_path)})
    second = load_settings({"KINDRED_DATA_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600


def test_environment_overrides_the_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "kindred.toml"
    config.write_text(
        'public_url = "https://forum.example.org"\nmax_body_bytes = 200000\n'
        'database_url = "postgres://u@db:5432/k"\n'
    )
    settings = load_settings(
        {
            "KINDRED_CONFIG": str(config),
            "KINDRED_DATA_DIR": str(tmp_path),
            "KINDRED_PUBLIC_URL": "https://peer.example.net:8443/",
        }
    )
    assert settings.public_url == "https://peer.example.net:8443"
    assert settings.https
    assert settings.max_body_bytes == 200000
    assert settings.database_url == "postgres://u@db:5432/k"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KINDRED_PUBLIC_URL": "ftp://x"}, "KINDRED_PUBLIC_URL"),
        ({"KINDRED_PUBLIC_URL": "https://x.org/forum"}, "path"),
        ({"KINDRED_DATABASE_URL": "mysql://x"}, "KINDRED_DATABASE_URL"),
        ({"KINDRED_MAX_BODY_BYTES": "lots"}, "whole number"),
        ({"KINDRED_MAX_BODY_BYTES": "10"}, "at least"),
        ({"KINDRED_TRUST_PROXY": "maybe"}, "true or false"),
        ({"KINDRED_LOG_LEVEL": "loud"}, "KINDRED_LOG_LEVEL"),
        ({"KINDRED_REACTIONS": "bad reaction"}, "KINDRED_REACTIONS"),
        ({"KINDRED_CONFIG": "/nonexistent/kindred.toml"}, "does not exist"),
    ],
)
def test_bad_configuration_fails_with_a_sentence(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"KINDRED_DATA_DIR": str(tmp_path), **env})


def test_unknown_and_malformed_toml_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "kindred.toml"
    config.write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match="unknown keys: colour"):
        load_settings({"KINDRED_CONFIG": str(config), "KINDRED_DATA_DIR": str(tmp_path)})
    config.write_text("public_url = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"KINDRED_CONFIG": str(config), "KINDRED_DATA_DIR": str(tmp_path)})


def test_reactions_are_configurable(tmp_path: Path) -> None:
    settings = load_settings(
        {"KINDRED_DATA_DIR": str(tmp_path), "KINDRED_REACTIONS": "hug:Hug, same:Same here"}
    )
    assert settings.reactions == (("hug", "Hug"), ("same", "Same here"))
