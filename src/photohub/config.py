"""Settings, read from ``PHOTOHUB_*`` environment variables (see docs/settings.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Settings:
    """Everything photohub can be told. Each field maps to ``PHOTOHUB_<NAME>``."""

    data_dir: Path = Path("photohub-data")
    """Where the SQLite database and the media files live."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite at ``<data_dir>/photohub.db``.
    ``postgresql://...`` uses PostgreSQL through asyncpg."""
    redis_url: str = ""
    """``redis://...`` to share live events and delivery queues between several
    processes; empty = in-process events and queues in the database."""
    redis_prefix: str = "photohub:"
    """Prefix of every Redis key and channel (several sites may share one Redis)."""
    start_timeout: float = 15.0
    """Seconds a starting process waits for its database and Redis to answer (started
    beside it, or restarting) before it gives up."""
    host: str = "0.0.0.0"
    """Address ``photohub serve`` binds (0.0.0.0 so phones on the party network reach it)."""
    port: int = 8000
    """Port ``photohub serve`` binds."""
    public_url: str = ""
    """Base URL guests use (``http://`` or ``https://``, e.g. behind a reverse proxy or a
    tunnel), printed and encoded in the QR code; empty = guessed from the address bound
    (the LAN address when bound to 0.0.0.0)."""
    secret_key: str = ""
    """Signs cookies and CSRF tokens; empty = generated once and kept in the database."""
    admin_token: str = ""
    """Host password for the admin page; empty = generated once, kept in the database."""
    max_upload_bytes: int = 25 * 1024 * 1024
    """Largest accepted photo file; larger bodies are refused while streaming."""
    max_image_pixels: int = 100_000_000
    """Largest accepted image in pixels (decompression-bomb guard)."""
    decode_memory: int = 1024 * 1024 * 1024
    """Bytes all image decodes of one process may take together (upload checks and
    renditions); each is priced from the file's header first, one priced above this is
    refused, the others wait their turn."""
    decode_concurrency: int = 2
    """Images one process decodes at once; more wait their turn."""
    rendition_sizes: tuple[int, ...] = (256, 1024, 2048)
    """Long-edge sizes, in pixels, of the WebP renditions."""
    run_tasks: bool = True
    """Whether ``serve`` runs the task runner in-process (set false when workers run them)."""
    task_concurrency: int = 2
    """Tasks one runner executes at once."""
    task_poll_interval: float = 0.5
    """Seconds between task-table polls when no local wake-up arrives."""
    task_lease_seconds: float = 30.0
    """Seconds a worker's claim holds a task (renewed while it runs): a task whose worker
    was killed runs again after this."""
    heartbeat_seconds: float = 15.0
    """Seconds between SSE heartbeat comments."""
    event_poll_interval: float = 1.0
    """Seconds between outbox polls that catch events the broker did not bring."""
    wall_interval: int = 8
    """Default seconds each photo stays on the wall while cycling."""
    wall_transition: str = "fade"
    """Default wall transition: fade, slide or none."""
    moderation: bool = False
    """Default moderation mode: new photos wait for the host's approval."""
    log_level: str = "warning"
    """Log level of photohub, its libraries and uvicorn: debug, info, warning or error
    (``serve -v`` = info and access logs)."""
    access_log: bool = False
    """Whether ``serve`` logs one line per request (uvicorn's access log)."""
    push_allow: str = ""
    """Networks push callbacks may reach although they are not public (loopback, private,
    link-local), comma-separated, e.g. ``127.0.0.1, 10.0.0.0/8``; empty = public only."""
    push_lease_min: int = 60
    """Shortest lease, in seconds, the hub grants a subscription (requests are clamped)."""
    push_lease_default: int = 864_000
    """Lease granted when a WebSub subscriber asks for none (10 days, WebSub §8.2)."""
    push_lease_max: int = 864_000
    """Longest lease the hub grants; subscribers re-subscribe before it ends."""
    push_collapse_seconds: float = 2.0
    """Changes to one photo within this many seconds of its last delivery go out as one."""
    push_batch_bytes: int = 262_144
    """Largest Atom document one delivery POST carries (an entry larger still goes alone)."""
    push_timeout: float = 10.0
    """Seconds a callback has to answer a delivery or a verification."""
    push_concurrency: int = 64
    """Deliveries one process has in flight at once (each to a different subscription)."""
    push_firehose_url: str = ""
    """An endpoint of the host's that receives every public upload, update and deletion
    (the "kitten hose"), in batched Atom POSTs; empty = none."""
    push_firehose_secret: str = ""
    """Signs the firehose's POSTs (``X-Hub-Signature: sha256=...``); empty = unsigned."""
    push_firehose_rate: float = 100.0
    """Entries per second the firehose receives at most (the rest wait in its queue)."""

    @property
    def db_url(self) -> str:
        """The async SQLAlchemy URL actually used."""
        url = self.database_url
        if not url:
            return f"sqlite+aiosqlite:///{self.data_dir / 'photohub.db'}"
        for prefix, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(prefix):
                return driver + url[len(prefix) :]
        return url

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None when the database is not a SQLite file."""
        import sqlalchemy as sa

        url = sa.make_url(self.db_url)
        if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the non-None values replaced (CLI flags win over the environment)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def _parse(kind: Any, raw: str) -> Any:
    if kind in (bool, "bool"):
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"expected a boolean, got {raw!r}")
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    if kind in (Path, "Path"):
        return Path(raw)
    if kind in ("tuple[int, ...]",):
        return tuple(int(part) for part in raw.split(",") if part.strip())
    return raw


def check_public_url(value: str) -> str:
    """``value`` if it is an ``http(s)://host[/path]`` URL (or empty), else ``ValueError``."""
    if not value:
        return value
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        example = "https://photos.example.org"
        raise ValueError(f"expected an http:// or https:// URL such as {example}, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"expected a base URL without ?query or #fragment, got {value!r}")
    return value


_CHECKS = {"public_url": check_public_url}


def setting_names() -> list[str]:
    """The ``PHOTOHUB_*`` names of every setting (used by the docs test)."""
    return [f"PHOTOHUB_{f.name.upper()}" for f in fields(Settings)]


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``PHOTOHUB_*`` variables; unknown values raise ``ValueError``."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        key = f"PHOTOHUB_{f.name.upper()}"
        if key in env:
            try:
                values[f.name] = _parse(f.type, env[key])
                if f.name in _CHECKS:
                    _CHECKS[f.name](values[f.name])
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from exc
    return Settings(**values)
