"""Configuration from the environment, with safe defaults for a single-machine try-out."""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


def data_dir() -> Path:
    path = Path(os.environ.get("AQSTREAM_DATA_DIR", ".aqstream")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def media_dir() -> Path:
    """Where uploaded images (organization logos, event covers) are kept: AQSTREAM_MEDIA_DIR, else
    `media/` in the data directory."""
    path = Path(os.environ.get("AQSTREAM_MEDIA_DIR") or data_dir() / "media").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(os.environ.get("AQSTREAM_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))


def max_exports() -> int:
    """How many attendee exports one process streams at once (AQSTREAM_MAX_EXPORTS, default 4). None of them holds
    a database connection between its chunks; the bound keeps CPU and threads for everyone else."""
    return max(1, int(os.environ.get("AQSTREAM_MAX_EXPORTS", "4")))


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Accept the common postgres:// spelling and pick the psycopg 3 driver.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{data_dir() / 'aqstream.db'}"


@lru_cache(maxsize=1)
def secret_key() -> str:
    """The signing key: from AQSTREAM_SECRET_KEY, else generated once and kept in the data directory."""
    env = os.environ.get("AQSTREAM_SECRET_KEY")
    if env:
        if len(env) < 32:
            raise RuntimeError("AQSTREAM_SECRET_KEY must be at least 32 characters")
        return env
    path = data_dir() / "secret_key"
    if not path.exists():
        # Written whole to a private temp file, then linked into place: a second process starting at
        # the same moment either wins the link or reads the complete key, never a half-written file.
        tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"secret key in {path} is too short")
    return key


def port() -> int:
    """The one port the production build serves pages, websocket and API on."""
    return int(os.environ.get("AQSTREAM_PORT", "3000"))


def public_base_url() -> str:
    return os.environ.get("AQSTREAM_BASE_URL", f"http://localhost:{port()}").rstrip("/")


def backend_only() -> bool:
    """`reflex run --backend-only` (the API benchmark) refuses a frontend port."""
    return os.environ.get("AQSTREAM_BACKEND_ONLY") == "1"


def redis_url() -> str | None:
    """Redis for Reflex's page state, so several backend workers can share it; None: one in-process worker."""
    return os.environ.get("REDIS_URL") or None


def db_pool_size() -> int:
    """PostgreSQL connections per process (see the README's Performance: more is slower in a rush)."""
    return int(os.environ.get("AQSTREAM_DB_POOL_SIZE", "4"))


def clock_offset_seconds() -> float:
    """Moves a whole process's clock (tests that start an app or worker in the future); never set in production."""
    return float(os.environ.get("AQSTREAM_CLOCK_OFFSET_SECONDS") or 0)


def mail_max_attempts() -> int:
    """Tries before an email is marked failed."""
    return int(os.environ.get("AQSTREAM_MAIL_MAX_ATTEMPTS", "10"))


def mail_lease_seconds() -> float:
    """How long a worker's claim on an email holds before another worker may take it (a dead worker's)."""
    return float(os.environ.get("AQSTREAM_MAIL_LEASE_SECONDS", "300"))


def cookie_secure() -> bool:
    """Send the session cookie over HTTPS only; on by default when the public URL is https."""
    flag = os.environ.get("AQSTREAM_COOKIE_SECURE")
    if flag is not None:
        return flag.lower() in ("1", "true", "yes")
    return public_base_url().startswith("https://")


def trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The reverse proxies whose X-Forwarded-For header names the client: AQSTREAM_TRUSTED_PROXIES, IP
    addresses and networks (`127.0.0.1, ::1, 10.0.0.0/8`), separated by commas or spaces. Empty (the
    default): nobody is trusted, and the client is the connection's peer."""
    raw = os.environ.get("AQSTREAM_TRUSTED_PROXIES", "")
    networks = []
    for entry in re.split(r"[\s,]+", raw.strip()):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"AQSTREAM_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def schedule_seconds() -> float:
    """The reminder job's period (AQSTREAM_SCHEDULE_SECONDS, default 60): how often reminders that came due
    are queued, by whichever worker finds the job due first."""
    return float(os.environ.get("AQSTREAM_SCHEDULE_SECONDS", "60"))


def mail_worker_in_process() -> bool:
    """Whether the app process runs its own worker thread (mail and scheduled jobs): AQSTREAM_MAIL_WORKER,
    on unless "off" (then separate `aqstream worker` processes do the work)."""
    return os.environ.get("AQSTREAM_MAIL_WORKER", "").lower() != "off"


def worker_idle_seconds() -> float:
    """How long an `aqstream worker` waits when there is nothing to send (AQSTREAM_MAIL_IDLE_SECONDS, 2)."""
    return float(os.environ.get("AQSTREAM_MAIL_IDLE_SECONDS", "2"))


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "none" | "starttls" | "tls"
    user: str
    password: str
    from_address: str
    timeout: float


def smtp_settings() -> SmtpSettings | None:
    """The SMTP server from the environment, or None: then mail is kept and shown in the app's mail log.
    AQSTREAM_SMTP_HOST, _PORT (587), _SECURITY (starttls | tls | none), _USER, _PASSWORD, _FROM."""
    host = os.environ.get("AQSTREAM_SMTP_HOST", "").strip()
    if not host:
        return None
    security = os.environ.get("AQSTREAM_SMTP_SECURITY", "starttls").strip().lower()
    if security not in ("none", "starttls", "tls"):
        raise ValueError("AQSTREAM_SMTP_SECURITY must be starttls, tls or none")
    default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
    return SmtpSettings(
        host=host,
        port=int(os.environ.get("AQSTREAM_SMTP_PORT", default_port)),
        security=security,
        user=os.environ.get("AQSTREAM_SMTP_USER", ""),
        password=os.environ.get("AQSTREAM_SMTP_PASSWORD", ""),
        from_address=os.environ.get("AQSTREAM_SMTP_FROM", f"AqStream <no-reply@{host}>"),
        timeout=float(os.environ.get("AQSTREAM_SMTP_TIMEOUT", "30")),
    )


def stripe_api_base() -> str:
    """Where Stripe's API is (tests point it at a local fake server)."""
    return os.environ.get("AQSTREAM_STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")


def yookassa_api_url() -> str:
    """Where YooKassa's API v3 is (tests point it at a local fake server)."""
    return os.environ.get("AQSTREAM_YOOKASSA_API_URL", "https://api.yookassa.ru/v3").rstrip("/")


def yookassa_allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """AQSTREAM_YOOKASSA_IPS: the addresses YooKassa's notifications may come from (CIDRs, comma separated);
    empty: any (each notification is verified by fetching the payment back anyway)."""
    nets = []
    for part in os.environ.get("AQSTREAM_YOOKASSA_IPS", "").split(","):
        if part.strip():
            nets.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(nets)


def provider_timeout_seconds() -> float:
    """How long a payment provider may take to answer before the buyer is told to try again."""
    return float(os.environ.get("AQSTREAM_PROVIDER_TIMEOUT", "10"))
