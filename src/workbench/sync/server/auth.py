"""Accounts, device tokens and the login rate limit of the team server (DESIGN §5 "Security").

Why it is built this way:

- Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile) and
  re-hashed on the next successful login when those parameters change.
- A login returns a random bearer token for one device. Only its SHA-256 is stored: the token
  has 256 bits of entropy, so a fast hash is enough, and a copy of the database holds nothing
  that authenticates. Revoking the device kills the token (SYNC.md §1.10: a stolen laptop).
- Failed logins are counted in the database, not in process memory, so several server processes
  behind one load balancer share one limit (DESIGN §5 "Scale path"). An attempt is recorded
  *before* the slow password check and removed on success; concurrent guesses therefore count
  against the limit too. The per-user check is serialised per user name (PostgreSQL advisory
  lock, SQLite write lock), so the limit is exact even across processes.
- Every failure looks the same from outside: an unknown user, a wrong password and a disabled
  account all raise `InvalidCredentials`, and an unknown user still costs one Argon2 verify so
  response time does not reveal which names exist.
- Passwords and tokens are never logged, and never part of an exception message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Engine, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from workbench.sync.server.db import (
    ROLES,
    devices,
    login_attempts,
    now_utc,
    users,
    write_transaction,
)

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 200
MAX_TOKEN_LENGTH = 200
# Writing last_seen on every request would turn each read into a write; a minute is precise
# enough for "when did this laptop last sync".
LAST_SEEN_GRANULARITY = timedelta(seconds=60)


class AuthError(Exception):
    """Base of every refusal from this module; messages are safe to show to the caller."""


class InvalidCredentials(AuthError):
    """Wrong user name or password, or a disabled account: deliberately indistinguishable."""

    def __init__(self) -> None:
        super().__init__("invalid user name or password")


class RateLimited(AuthError):
    """Too many failed logins recently; `retry_after` is in whole seconds (at least 1)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after} s")
        self.retry_after = retry_after


class InvalidToken(AuthError):
    """The bearer token is unknown, malformed, or its user is disabled."""


class TokenRevoked(InvalidToken):
    """The token belonged to a device that has been revoked."""


class DeviceRevoked(AuthError):
    """A login named a device id that was revoked; the client must register a new device id."""


class DeviceConflict(AuthError):
    """A login named a device id that is bound to another user (SYNC.md §1.2)."""


class UserExists(AuthError):
    """`create_user` with a name that is taken."""


class UnknownUser(AuthError):
    """An admin command named a user that does not exist."""


class UnknownDevice(AuthError):
    """An admin command named a device that does not exist."""


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Device:
    device_id: str
    user_id: str
    name: str
    created_at: datetime
    last_seen: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class LoginResult:
    """What a successful login hands out. `token` is shown once and never stored."""

    token: str
    user: User
    device: Device


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed within `window`: per user name, and per client address.

    The per-address limit slows one machine spraying guesses over many user names. A known
    trade-off of any per-user limit: anyone can lock a user out for one window by failing on
    purpose; the window is short and an admin's `passwd` clears it.
    """

    per_user: int = 5
    per_ip: int = 30
    window: timedelta = timedelta(minutes=5)


def normalize_name(name: str) -> str:
    """User names are compared in NFC so a Vietnamese name typed on macOS (NFD) still matches."""
    return unicodedata.normalize("NFC", name).strip()


def _limit_key(name: str) -> str:
    # Case variants of one name share a bucket, so "Anh" and "anh" cannot double the guesses.
    return normalize_name(name).casefold()[:MAX_NAME_LENGTH]


def _valid_name(name: str) -> str:
    clean = normalize_name(name)
    if not clean or len(clean) > MAX_NAME_LENGTH:
        raise ValueError(f"a user name must have 1 to {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in clean):
        raise ValueError("a user name cannot contain control characters")
    return clean


def _valid_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"a password can have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def canonical_device_id(device_id: str) -> str:
    """Device ids are UUIDs (SYNC.md §1.2); store one spelling so lookups cannot miss."""
    try:
        return str(uuid.UUID(device_id))
    except (ValueError, AttributeError, TypeError) as exc:
        raise ValueError("device_id must be a UUID") from exc


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=row.role,
        disabled=bool(row.disabled),
        created_at=row.created_at,
    )


def _device(row: Row[Any]) -> Device:
    return Device(
        device_id=row.device_id,
        user_id=row.user_id,
        name=row.name,
        created_at=row.created_at,
        last_seen=row.last_seen,
        revoked_at=row.revoked_at,
    )


class Auth:
    """The account and token service over one server database.

    It holds no state beyond configuration, so any number of instances (in any number of
    processes) can serve one database. `clock` is injectable so the rate-limit window can be
    tested without sleeping; `hasher` so tests can use cheap Argon2 parameters.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        hasher: PasswordHasher | None = None,
        limits: LoginLimits | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self.limits = limits or LoginLimits()
        self.clock = clock
        self._dummy_hash: str | None = None

    # -- accounts -------------------------------------------------------------------------

    def create_user(self, name: str, role: str, password: str) -> User:
        clean = _valid_name(name)
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        hashed = self.hasher.hash(_valid_password(password))
        user = User(
            id=str(uuid.uuid4()), name=clean, role=role, disabled=False, created_at=self.clock()
        )
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(
                    insert(users).values(
                        id=user.id,
                        name=user.name,
                        role=user.role,
                        password_hash=hashed,
                        created_at=user.created_at,
                        disabled=False,
                    )
                )
        except IntegrityError as exc:
            raise UserExists(f"a user named {clean!r} already exists") from exc
        log.info("user created: %s (%s)", clean, role)
        return user

    def get_user(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == normalize_name(name))).first()
        return _user(row) if row is not None else None

    def set_password(self, name: str, password: str) -> None:
        """Replace a password; also clears that name's failed logins (an admin unlock)."""
        hashed = self.hasher.hash(_valid_password(password))
        clean = normalize_name(name)
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                update(users).where(users.c.name == clean).values(password_hash=hashed)
            ).rowcount
            if not done:
                raise UnknownUser(f"no user named {clean!r}")
            conn.execute(
                delete(login_attempts).where(login_attempts.c.user_name == _limit_key(clean))
            )
        log.info("password changed: %s", clean)

    def set_disabled(self, name: str, disabled: bool) -> None:
        clean = normalize_name(name)
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                update(users).where(users.c.name == clean).values(disabled=disabled)
            ).rowcount
        if not done:
            raise UnknownUser(f"no user named {clean!r}")
        log.info("user %s: %s", "disabled" if disabled else "enabled", clean)

    # -- login ----------------------------------------------------------------------------

    def login(
        self, user: str, password: str, device_id: str, device_name: str, client_ip: str
    ) -> LoginResult:
        """Check the password and issue a fresh token for `device_id`.

        Raises `RateLimited` before looking at the password once the limit is reached (even a
        right password waits), `InvalidCredentials` for any bad name/password/disabled account,
        and, only after the password was right, `DeviceRevoked` or `DeviceConflict`. A login
        from a device that already has a token replaces it (the old one stops working).
        """
        device_id = canonical_device_id(device_id)
        device_name = normalize_name(device_name)[:MAX_NAME_LENGTH] or "device"
        client_ip = (client_ip or "unknown")[:64]
        name = normalize_name(user)
        key = _limit_key(name)

        row = self._record_attempt(name, key, client_ip)
        if row is None or len(password) > MAX_PASSWORD_LENGTH:
            self._burn_time(password)
            log.warning("login failed for %r from %s", name, client_ip)
            raise InvalidCredentials()
        if not self._verify(row.password_hash, password) or row.disabled:
            log.warning("login failed for %r from %s", name, client_ip)
            raise InvalidCredentials()

        token = secrets.token_urlsafe(32)
        now = self.clock()
        # Hash before taking the write lock: Argon2 is deliberately slow.
        rehashed = (
            self.hasher.hash(password)
            if self.hasher.check_needs_rehash(row.password_hash)
            else None
        )
        with write_transaction(self.engine) as conn:
            conn.execute(delete(login_attempts).where(login_attempts.c.user_name == key))
            if rehashed is not None:
                conn.execute(
                    update(users).where(users.c.id == row.id).values(password_hash=rehashed)
                )
            device = self._bind_device(conn, row.id, device_id, device_name, token_hash(token), now)
        log.info("login ok: %s on device %s (%s) from %s", name, device_id, device_name, client_ip)
        return LoginResult(token=token, user=_user(row), device=device)

    def _record_attempt(self, name: str, key: str, client_ip: str) -> Row[Any] | None:
        """Refuse if over the limit, else count this attempt; returns the user row, if any."""
        limits = self.limits
        now = self.clock()
        cutoff = now - limits.window
        with write_transaction(self.engine) as conn:
            if conn.dialect.name == "postgresql":
                # Serialise attempts on one name across processes so the count is exact.
                digest = hashlib.sha256(key.encode("utf-8")).digest()
                lock_key = int.from_bytes(digest[:8], "big", signed=True)
                conn.execute(select(func.pg_advisory_xact_lock(lock_key)))
            conn.execute(delete(login_attempts).where(login_attempts.c.attempted_at <= cutoff))
            retry = max(
                self._retry_after(conn, login_attempts.c.user_name == key, limits.per_user, now),
                self._retry_after(
                    conn, login_attempts.c.client_ip == client_ip, limits.per_ip, now
                ),
            )
            if not retry:
                conn.execute(
                    insert(login_attempts).values(
                        user_name=key, client_ip=client_ip, attempted_at=now
                    )
                )
                return conn.execute(select(users).where(users.c.name == name)).first()
        log.warning("login rate-limited for %r from %s (retry in %d s)", key, client_ip, retry)
        raise RateLimited(retry)

    def _retry_after(
        self, conn: Connection, where: ColumnElement[bool], limit: int, now: datetime
    ) -> int:
        """Seconds until fewer than `limit` attempts remain in the window (0: not limited)."""
        count = conn.execute(
            select(func.count()).select_from(login_attempts).where(where)
        ).scalar_one()
        if count < limit:
            return 0
        oldest_blocking = conn.execute(
            select(login_attempts.c.attempted_at)
            .where(where)
            .order_by(login_attempts.c.attempted_at)
            .offset(count - limit)
            .limit(1)
        ).scalar_one()
        wait = (oldest_blocking + self.limits.window - now).total_seconds()
        return max(1, math.ceil(wait))

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _burn_time(self, password: str) -> None:
        """Spend one Argon2 verify so an unknown name costs as long as a wrong password."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self._verify(self._dummy_hash, password[:MAX_PASSWORD_LENGTH])

    def _bind_device(
        self,
        conn: Connection,
        user_id: str,
        device_id: str,
        device_name: str,
        hashed_token: str,
        now: datetime,
    ) -> Device:
        existing = conn.execute(
            select(devices).where(devices.c.device_id == device_id).with_for_update()
        ).first()
        if existing is None:
            conn.execute(
                insert(devices).values(
                    device_id=device_id,
                    user_id=user_id,
                    name=device_name,
                    token_hash=hashed_token,
                    created_at=now,
                    last_seen=now,
                )
            )
            return Device(
                device_id=device_id,
                user_id=user_id,
                name=device_name,
                created_at=now,
                last_seen=now,
                revoked_at=None,
            )
        if existing.user_id != user_id:
            raise DeviceConflict("this device id is registered to another user")
        if existing.revoked_at is not None:
            raise DeviceRevoked("this device was revoked; register it again as a new device")
        conn.execute(
            update(devices)
            .where(devices.c.device_id == device_id)
            .values(name=device_name, token_hash=hashed_token, last_seen=now)
        )
        return Device(
            device_id=device_id,
            user_id=user_id,
            name=device_name,
            created_at=existing.created_at,
            last_seen=now,
            revoked_at=None,
        )

    # -- tokens ---------------------------------------------------------------------------

    def authenticate(self, token: str) -> tuple[User, Device]:
        """The user and device behind a bearer token, or `InvalidToken`/`TokenRevoked`."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("invalid token")
        hashed = token_hash(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    devices,
                    users.c.name.label("user_name"),
                    users.c.role,
                    users.c.disabled,
                    users.c.created_at.label("user_created_at"),
                )
                .join(users, users.c.id == devices.c.user_id)
                .where(devices.c.token_hash == hashed)
            ).first()
        # The lookup is by hash, so its timing says nothing about the token; compare anyway in
        # constant time in case a collation or driver ever matched loosely.
        if row is None or not hmac.compare_digest(row.token_hash, hashed):
            raise InvalidToken("invalid token")
        if row.revoked_at is not None:
            raise TokenRevoked("this device has been revoked")
        if row.disabled:
            raise InvalidToken("this account is disabled")
        user = User(
            id=row.user_id,
            name=row.user_name,
            role=row.role,
            disabled=False,
            created_at=row.user_created_at,
        )
        device = _device(row)
        now = self.clock()
        if device.last_seen is None or now - device.last_seen >= LAST_SEEN_GRANULARITY:
            with write_transaction(self.engine) as conn:
                conn.execute(
                    update(devices)
                    .where(devices.c.device_id == device.device_id)
                    .values(last_seen=now)
                )
            device = replace(device, last_seen=now)
        return user, device

    def revoke_device(self, device_id: str) -> bool:
        """Revoke a device's token for good; False if it was already revoked."""
        device_id = canonical_device_id(device_id)
        with write_transaction(self.engine) as conn:
            row = conn.execute(
                select(devices.c.revoked_at).where(devices.c.device_id == device_id)
            ).first()
            if row is None:
                raise UnknownDevice(f"no device {device_id}")
            if row.revoked_at is not None:
                return False
            conn.execute(
                update(devices)
                .where(devices.c.device_id == device_id)
                .values(revoked_at=self.clock())
            )
        log.info("device revoked: %s", device_id)
        return True

    def list_devices(self, user_name: str | None = None) -> list[Device]:
        query = select(devices).order_by(devices.c.created_at)
        if user_name is not None:
            query = query.join(users, users.c.id == devices.c.user_id).where(
                users.c.name == normalize_name(user_name)
            )
        with self.engine.connect() as conn:
            return [_device(row) for row in conn.execute(query)]
