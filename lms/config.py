"""Build the configuration from config/ modules and the environment."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"


def _coerce(raw: str, default: Any) -> Any:
    """Turn an environment string into the type of the default it replaces."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int) and not isinstance(default, bool):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list | dict):
        return json.loads(raw) if raw.strip().startswith(("[", "{")) else raw.split(",")
    return raw


def apply_environment(config: Config, keys: dict[str, Any]) -> None:
    """Override `keys` from environment variables of the same name."""
    for key, default in keys.items():
        raw = os.environ.get(key)
        if raw is not None:
            config[key] = _coerce(raw, default)


def load_config(config: Config, overrides: dict[str, Any] | None = None) -> None:
    """Fill `config` from defaults, the LMS_ENV module, environment and overrides."""
    config.from_pyfile(str(CONFIG_DIR / "defaults.py"))
    env_name = (overrides or {}).get("LMS_ENV") or os.environ.get("LMS_ENV", "development")
    env_file = CONFIG_DIR / f"{env_name}.py"
    if not env_file.is_file():
        raise RuntimeError(
            f"LMS_ENV={env_name!r} has no {env_file}; use development, testing or production"
        )
    config["LMS_ENV"] = env_name
    config.from_pyfile(str(env_file))
    apply_environment(config, {k: config[k] for k in config if k.isupper()})
    config.update(overrides or {})


def resolve_instance_path(config: Config) -> Path:
    """Return the absolute instance folder, creating it on first use."""
    path = Path(config["LMS_INSTANCE_PATH"])
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_secret_key(config: Config, instance_path: Path) -> None:
    """Use the configured secret key, else the one persisted in the instance folder."""
    if config.get("SECRET_KEY"):
        return
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # Write a private temporary file, then link it into place: the link
        # fails if another process got there first, and nobody ever reads a
        # key file that exists but is still empty.
        tmp = instance_path / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    config["SECRET_KEY"] = key_file.read_text().strip()


def database_url(config: Config, instance_path: Path) -> str:
    """Return the SQLAlchemy URL: DATABASE_URL, or SQLite in the instance folder."""
    url = config.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'lms.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url
