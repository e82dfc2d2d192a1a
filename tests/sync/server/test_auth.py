"""Passwords, device tokens, the login rate limit and revocation, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
import uuid

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select

from workbench.sync.server import db
from workbench.sync.server.auth import (
    Auth,
    DeviceConflict,
    DeviceRevoked,
    InvalidCredentials,
    InvalidToken,
    LoginLimits,
    RateLimited,
    TokenRevoked,
    UnknownDevice,
    UnknownUser,
    UserExists,
)

from .conftest import FAST_HASHER, FakeClock

PASSWORD = "correct horse battery staple"
IP = "192.0.2.10"


def login(auth: Auth, name: str = "anh", password: str = PASSWORD, ip: str = IP) -> str:
    return auth.login(name, password, str(uuid.uuid4()), "laptop", ip).token


@pytest.fixture
def anh(auth: Auth) -> str:
    return auth.create_user("anh", "am", PASSWORD).id


def test_password_is_stored_as_argon2id_never_in_clear(auth: Auth, engine: Engine) -> None:
    auth.create_user("anh", "am", PASSWORD)
    with engine.connect() as conn:
        stored = conn.execute(select(db.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_create_user_validates_role_password_and_uniqueness(auth: Auth, anh: str) -> None:
    with pytest.raises(ValueError, match="role"):
        auth.create_user("binh", "boss", PASSWORD)
    with pytest.raises(ValueError, match="at least"):
        auth.create_user("binh", "am", "short")
    with pytest.raises(ValueError, match="user name"):
        auth.create_user("  ", "am", PASSWORD)
    with pytest.raises(UserExists):
        auth.create_user("anh", "rm", PASSWORD)
    assert auth.get_user("binh") is None


def test_login_stores_only_the_hash_of_a_random_token(auth: Auth, engine: Engine, anh: str) -> None:
    device_id = str(uuid.uuid4())
    result = auth.login("anh", PASSWORD, device_id.upper(), "Anh's laptop", IP)
    assert len(result.token) >= 43  # 32 random bytes, url-safe base64
    assert result.user.id == anh and result.user.role == "am"
    assert result.device.device_id == device_id  # one canonical spelling
    with engine.connect() as conn:
        row = conn.execute(select(db.devices)).one()
    assert row.token_hash == hashlib.sha256(result.token.encode()).hexdigest()
    assert result.token not in repr(tuple(row))
    assert login(auth) != result.token


def test_authenticate_returns_user_and_device(auth: Auth, anh: str) -> None:
    result = auth.login("anh", PASSWORD, str(uuid.uuid4()), "laptop", IP)
    user, device = auth.authenticate(result.token)
    assert (user.id, user.name, user.role) == (anh, "anh", "am")
    assert device == result.device


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000])
def test_unknown_or_malformed_tokens_are_rejected(auth: Auth, anh: str, token: str) -> None:
    login(auth)
    with pytest.raises(InvalidToken):
        auth.authenticate(token)


def test_wrong_password_unknown_user_and_disabled_user_look_the_same(auth: Auth, anh: str) -> None:
    auth.create_user("binh", "rm", PASSWORD)
    auth.set_disabled("binh", True)
    messages = set()
    for name, password in [("anh", "wrong password"), ("nobody", PASSWORD), ("binh", PASSWORD)]:
        with pytest.raises(InvalidCredentials) as info:
            login(auth, name, password)
        messages.add(str(info.value))
    assert messages == {"invalid user name or password"}


def test_disabled_user_tokens_stop_working(auth: Auth, anh: str) -> None:
    token = login(auth)
    auth.set_disabled("anh", True)
    with pytest.raises(InvalidToken):
        auth.authenticate(token)
    auth.set_disabled("anh", False)
    assert auth.authenticate(token)[0].id == anh


def test_five_failures_lock_the_name_even_for_the_right_password(
    auth: Auth, anh: str, clock: FakeClock
) -> None:
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            login(auth, password="guess")
        clock.advance(10)
    with pytest.raises(RateLimited) as info:
        login(auth)
    # The first failure leaves the 5-minute window 300 - 5*10 s after "now".
    assert info.value.retry_after == 250
    clock.advance(249)
    with pytest.raises(RateLimited):
        login(auth)
    clock.advance(1)
    assert login(auth)


def test_success_clears_the_failure_count(auth: Auth, anh: str) -> None:
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            login(auth, password="guess")
    login(auth)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            login(auth, password="guess")
    assert login(auth)


def test_the_limit_is_per_user_and_covers_unknown_names(auth: Auth, anh: str) -> None:
    auth.create_user("binh", "rm", PASSWORD)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            login(auth, "Nobody", PASSWORD)
    with pytest.raises(RateLimited):
        login(auth, "nobody", PASSWORD)  # case variants share one bucket
    assert login(auth, "anh")
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            login(auth, "anh", "guess")
    with pytest.raises(RateLimited):
        login(auth, "anh")
    assert login(auth, "binh")


def test_the_limit_is_shared_by_separate_server_processes(
    db_url: str, engine: Engine, anh: str, clock: FakeClock
) -> None:
    # A second engine and service stand in for a second server process on the same database.
    other_engine = db.make_engine(db_url)
    other = Auth(other_engine, hasher=FAST_HASHER, clock=clock)
    first = Auth(engine, hasher=FAST_HASHER, clock=clock)
    try:
        for service in (first, other, first, other, first):
            with pytest.raises(InvalidCredentials):
                login(service, password="guess")
        with pytest.raises(RateLimited):
            login(other)
    finally:
        other_engine.dispose()


def test_one_address_spraying_many_names_is_limited(
    engine: Engine, clock: FakeClock, anh: str
) -> None:
    auth = Auth(engine, hasher=FAST_HASHER, clock=clock, limits=LoginLimits(per_ip=3))
    for name in ("a1", "a2", "a3"):
        with pytest.raises(InvalidCredentials):
            login(auth, name, PASSWORD, ip="198.51.100.7")
    with pytest.raises(RateLimited):
        login(auth, "anh", PASSWORD, ip="198.51.100.7")
    assert login(auth, "anh", PASSWORD, ip="198.51.100.8")


def test_old_attempts_are_pruned(auth: Auth, engine: Engine, clock: FakeClock) -> None:
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            login(auth, "nobody", "guess")
    clock.advance(301)
    with pytest.raises(InvalidCredentials):
        login(auth, "someone", "guess")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.login_attempts)).scalar() == 1


def test_revoked_device_token_is_refused(auth: Auth, anh: str) -> None:
    result = auth.login("anh", PASSWORD, str(uuid.uuid4()), "laptop", IP)
    other = login(auth)
    assert auth.revoke_device(result.device.device_id) is True
    with pytest.raises(TokenRevoked):
        auth.authenticate(result.token)
    assert auth.authenticate(other)[0].id == anh  # only that device
    assert auth.revoke_device(result.device.device_id) is False
    with pytest.raises(UnknownDevice):
        auth.revoke_device(str(uuid.uuid4()))
    with pytest.raises(ValueError):
        auth.revoke_device("not-a-uuid")


def test_a_revoked_device_id_cannot_log_in_again(auth: Auth, anh: str) -> None:
    device_id = str(uuid.uuid4())
    auth.login("anh", PASSWORD, device_id, "laptop", IP)
    auth.revoke_device(device_id)
    with pytest.raises(DeviceRevoked):
        auth.login("anh", PASSWORD, device_id, "laptop", IP)
    assert login(auth)  # a new device id is fine


def test_logging_in_again_on_a_device_replaces_its_token(auth: Auth, anh: str) -> None:
    device_id = str(uuid.uuid4())
    old = auth.login("anh", PASSWORD, device_id, "laptop", IP).token
    new = auth.login("anh", PASSWORD, device_id, "new name", IP).token
    with pytest.raises(InvalidToken):
        auth.authenticate(old)
    assert auth.authenticate(new)[1].name == "new name"


def test_a_device_id_belongs_to_one_user(auth: Auth, anh: str) -> None:
    auth.create_user("binh", "rm", PASSWORD)
    device_id = str(uuid.uuid4())
    auth.login("anh", PASSWORD, device_id, "laptop", IP)
    with pytest.raises(DeviceConflict):
        auth.login("binh", PASSWORD, device_id, "laptop", IP)


def test_set_password_replaces_it_and_unlocks(auth: Auth, anh: str) -> None:
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            login(auth, password="guess")
    auth.set_password("anh", "a brand new passphrase")
    with pytest.raises(InvalidCredentials):
        login(auth)
    assert login(auth, password="a brand new passphrase")
    with pytest.raises(UnknownUser):
        auth.set_password("nobody", "a brand new passphrase")
    with pytest.raises(ValueError):
        auth.set_password("anh", "short")


def test_last_seen_is_written_at_most_once_a_minute(auth: Auth, anh: str, clock: FakeClock) -> None:
    token = login(auth)
    first = auth.authenticate(token)[1].last_seen
    clock.advance(30)
    assert auth.authenticate(token)[1].last_seen == first
    clock.advance(31)
    assert auth.authenticate(token)[1].last_seen == clock.now


def test_vietnamese_names_match_in_any_unicode_form(auth: Auth) -> None:
    auth.create_user("Trần Minh Anh", "am", PASSWORD)
    assert login(auth, unicodedata.normalize("NFD", "Trần Minh Anh"))


def test_hash_is_upgraded_when_the_parameters_change(
    engine: Engine, clock: FakeClock, anh: str
) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    auth = Auth(engine, hasher=stronger, clock=clock)
    login(auth)
    with engine.connect() as conn:
        stored = conn.execute(select(db.users.c.password_hash)).scalar_one()
    assert "m=2048,t=2" in stored
    assert login(auth)


def test_passwords_and_tokens_are_never_logged(
    auth: Auth, anh: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = login(auth)
    auth.authenticate(token)
    with pytest.raises(InvalidCredentials):
        login(auth, password="wrong guess 123")
    auth.set_password("anh", "another passphrase")
    assert "login ok" in caplog.text and "login failed" in caplog.text
    for secret in (PASSWORD, token, "wrong guess 123", "another passphrase"):
        assert secret not in caplog.text
