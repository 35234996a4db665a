"""One typed settings object, read from `KINDRED_*` variables and an optional TOML file.

Precedence: environment variable > TOML file (`KINDRED_CONFIG`) > default. Every
name is documented in the README's configuration reference.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from forum.errors import ConfigError
from forum.files import make_private_dir, tighten, write_private_file
from forum.i18n import N_

# Labels are marked for the catalogs and translated where shown (an admin's own labels,
# from KINDRED_REACTIONS, are shown as written: no catalog knows them).
DEFAULT_REACTIONS = (
    ("me_too", N_("Me too")),
    ("thank_you", N_("Thank you")),
    ("strength", N_("Sending strength")),
)
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
# Where `kindred serve` notes the address it listens on when KINDRED_PUBLIC_URL is unset, so
# that the commands run beside it (`kindred invite create`, ...) print links that work.
SERVED_URL_FILE = "served-url"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    public_url: str
    secret_key: bytes = field(repr=False)
    max_body_bytes: int = 1024 * 1024
    trust_proxy: bool = False
    reactions: tuple[tuple[str, str], ...] = DEFAULT_REACTIONS
    log_level: str = "info"
    run_workers: bool = True
    # Test mode: plain-HTTP peers and private/loopback addresses (never in production).
    federation_insecure: bool = False
    # Base of the delivery retry backoff; tests shorten it.
    federation_retry_seconds: float = 60.0
    # How far a signed request's Date/created may be from our clock.
    signature_max_skew_seconds: int = 3600
    # False when KINDRED_PUBLIC_URL is unset and public_url follows the served address.
    public_url_configured: bool = True
    # Mastodon's "secure mode": our actors, objects and collections only to signed GETs.
    authorized_fetch: bool = False
    # The instance's address as a Tor onion service, announced to Tor Browser on HTML pages
    # (`Onion-Location`) so people who must not be seen visiting can switch to it.
    onion_url: str = ""
    # /metrics answers only when set, and only to `Authorization: Bearer <this>`.
    metrics_token: str = field(default="", repr=False)
    # Redis for the rate-limit counts (redis:// or rediss://); unset: PostgreSQL's table,
    # or this process's memory on SQLite.
    redis_url: str = field(default="", repr=False)

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def host(self) -> str:
        """host[:port] of the public URL, as used in ActivityPub ids and WebFinger."""
        return urlsplit(self.public_url).netloc

    def absolute(self, path: str) -> str:
        return self.public_url + path


_KEYS = {
    "data_dir": str,
    "database_url": str,
    "public_url": str,
    "max_body_bytes": int,
    "trust_proxy": bool,
    "reactions": str,
    "log_level": str,
    "run_workers": bool,
    "federation_insecure": bool,
    "federation_retry_seconds": float,
    "signature_max_skew_seconds": int,
    "authorized_fetch": bool,
    "onion_url": str,
    "metrics_token": str,
    "redis_url": str,
}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `env` (default: os.environ); raise ConfigError with a sentence."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    config_path = env.get("KINDRED_CONFIG")
    if config_path:
        raw.update(_read_toml(Path(config_path)))
    for key in _KEYS:
        value = env.get("KINDRED_" + key.upper())
        if value is not None and value != "":
            raw[key] = value

    data_dir = Path(str(raw.get("data_dir", "./data"))).expanduser().resolve()
    database_url = str(raw.get("database_url") or f"sqlite://{data_dir / 'kindred.sqlite3'}")
    if not database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ConfigError(
            f"KINDRED_DATABASE_URL must start with sqlite:// or postgres://, not {database_url!r}."
        )
    if database_url.startswith("postgresql://"):
        database_url = "postgres://" + database_url.removeprefix("postgresql://")

    public_url_configured = bool(raw.get("public_url"))
    if public_url_configured:
        public_url = _parse_public_url(str(raw["public_url"]))
    else:
        public_url = _last_served_url(data_dir) or DEFAULT_PUBLIC_URL
    max_body = _to_int("max_body_bytes", raw.get("max_body_bytes", 1024 * 1024))
    if max_body < 16 * 1024:
        raise ConfigError("KINDRED_MAX_BODY_BYTES must be at least 16384.")
    log_level = str(raw.get("log_level", "info")).lower()
    if log_level not in {"debug", "info", "warning", "error"}:
        raise ConfigError("KINDRED_LOG_LEVEL must be one of debug, info, warning, error.")

    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        public_url=public_url,
        secret_key=_load_secret_key(data_dir),
        max_body_bytes=max_body,
        trust_proxy=_to_bool("trust_proxy", raw.get("trust_proxy", False)),
        reactions=_parse_reactions(raw.get("reactions")),
        log_level=log_level,
        run_workers=_to_bool("run_workers", raw.get("run_workers", True)),
        federation_insecure=_to_bool("federation_insecure", raw.get("federation_insecure", False)),
        federation_retry_seconds=_to_float(
            "federation_retry_seconds", raw.get("federation_retry_seconds", 60.0)
        ),
        signature_max_skew_seconds=_to_int(
            "signature_max_skew_seconds", raw.get("signature_max_skew_seconds", 3600)
        ),
        public_url_configured=public_url_configured,
        authorized_fetch=_to_bool("authorized_fetch", raw.get("authorized_fetch", False)),
        onion_url=_parse_onion_url(str(raw.get("onion_url") or "")),
        metrics_token=_parse_metrics_token(str(raw.get("metrics_token") or "")),
        redis_url=_parse_redis_url(str(raw.get("redis_url") or "")),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"KINDRED_CONFIG points at {path}, which does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The config file {path} is not valid TOML: {exc}.") from None
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(f"The config file {path} has unknown keys: {', '.join(unknown)}.")
    return data


# A version 3 onion address: 56 base32 characters (version 2 addresses no longer work).
_ONION_HOST = re.compile(r"[a-z2-7]{56}\.onion")


def _parse_onion_url(value: str) -> str:
    if not value:
        return ""
    parts = urlsplit(value.strip().rstrip("/"))
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not _ONION_HOST.fullmatch(host):
        raise ConfigError(
            "KINDRED_ONION_URL must be http(s):// and a version 3 onion address "
            "(56 characters, then .onion)."
        )
    if parts.path or parts.query or parts.fragment:
        raise ConfigError("KINDRED_ONION_URL must not have a path, query or fragment.")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _parse_public_url(value: str) -> str:
    parts = urlsplit(value.rstrip("/"))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"KINDRED_PUBLIC_URL must be http(s)://host[:port], not {value!r}.")
    if parts.path or parts.query or parts.fragment:
        raise ConfigError("KINDRED_PUBLIC_URL must not have a path, query or fragment.")
    return f"{parts.scheme}://{parts.netloc}"


def _to_int(name: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ConfigError(
            f"KINDRED_{name.upper()} must be a whole number, not {value!r}."
        ) from None


def _to_float(name: str, value: object) -> float:
    try:
        number = float(str(value))
    except ValueError:
        raise ConfigError(f"KINDRED_{name.upper()} must be a number, not {value!r}.") from None
    if number <= 0:
        raise ConfigError(f"KINDRED_{name.upper()} must be more than zero.")
    return number


def _to_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"KINDRED_{name.upper()} must be true or false, not {value!r}.")


def _parse_reactions(value: object) -> tuple[tuple[str, str], ...]:
    """`me_too:Me too,thank_you:Thank you` -> (("me_too", "Me too"), ...)."""
    if value is None or value == "":
        return DEFAULT_REACTIONS
    pairs: list[tuple[str, str]] = []
    for item in str(value).split(","):
        key, _, label = item.partition(":")
        key, label = key.strip(), label.strip()
        if not key.replace("_", "").isalnum() or not label or len(key) > 32:
            raise ConfigError(
                "KINDRED_REACTIONS must look like 'me_too:Me too,thank_you:Thank you'."
            )
        pairs.append((key, label))
    return tuple(pairs)


def served_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches `kindred serve --host H --port P` at."""
    # A wildcard address is not one a browser can open; loopback reaches the same server.
    wildcards = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 (no bind)
    host = wildcards.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def remember_served_url(data_dir: Path, url: str) -> None:
    """Note the address `serve` listens on, for later commands while KINDRED_PUBLIC_URL is
    unset (see _last_served_url)."""
    write_private_file(data_dir / SERVED_URL_FILE, url + "\n")


def _last_served_url(data_dir: Path) -> str | None:
    try:
        text = (data_dir / SERVED_URL_FILE).read_text(encoding="utf-8").strip()
        return _parse_public_url(text)
    except (OSError, UnicodeDecodeError, ConfigError):
        return None  # never written, or unusable: the default applies


def _parse_redis_url(value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("redis://", "rediss://")):
        raise ConfigError(
            "KINDRED_REDIS_URL must start with redis:// or rediss://, e.g. "
            "redis://127.0.0.1:6379/0."
        )
    return value


def _parse_metrics_token(value: str) -> str:
    value = value.strip()
    if value and (len(value) < 16 or not value.isascii() or not value.isprintable()):
        raise ConfigError(
            "KINDRED_METRICS_TOKEN must be at least 16 printable ASCII characters "
            "(for example the output of `openssl rand -hex 16`)."
        )
    return value


def _load_secret_key(data_dir: Path) -> bytes:
    """Read the instance secret, creating it (mode 0600) on first start. The data directory
    is made (or tightened to) 0700: it holds the key and, with SQLite, the database."""
    try:
        make_private_dir(data_dir)
    except OSError as exc:
        raise ConfigError(f"Cannot create the data directory {data_dir}: {exc.strerror}.") from None
    path = data_dir / "secret.key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it a moment ago
            pass
        else:
            os.fchmod(fd, 0o600)  # os.open's mode passes through the umask
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    tighten(path, 0o600)
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigError(f"The secret key in {path} is too short; delete it to make a new one.")
    return key.encode()
