"""`workbench login` / `workbench logout` against the real server process (SQLite).

The keyring is an in-memory secure backend selected in this process with
``keyring.set_keyring`` (restored afterwards); the user's real keyring is never touched.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import null

from workbench.app import main
from workbench.credentials import SERVICE
from workbench.domain.hlc import unpack
from workbench.storage.store import Store
from workbench.sync.client import SyncClient, Unauthorized

from ..test_credentials import MemoryKeyring
from .conftest import Server, free_port, start_server

PASSWORD = "Mật khẩu của Anh 2026"  # non-ASCII on purpose
LIMITED_PASSWORD = "limited passphrase 7"
WRONG = "wrong-guess-Zq81"
SECRETS = (PASSWORD, LIMITED_PASSWORD, WRONG)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("login-server")
    users = [("anh", "am", PASSWORD), ("limited", "finance", LIMITED_PASSWORD)]
    with start_server(workdir, str(workdir / "server.db"), users) as running:
        yield running


@pytest.fixture(autouse=True)
def _restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "workbench.db"


class Cli:
    """`workbench.app.main` with captured output; checks no secret ever reaches it."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.seen: list[str] = []

    def __call__(self, *argv: str | Path, stdin: str | None = None) -> tuple[int, str, str]:
        self.capsys.readouterr()
        if stdin is not None:
            self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main([str(a) for a in argv])
        out, err = self.capsys.readouterr()
        for secret in (*SECRETS, *self.seen):
            assert secret not in out and secret not in err
        return code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def _state(db: Path) -> tuple[str | None, str | None]:
    store = Store(db)
    try:
        return store.sync_state("server_url"), store.sync_state("server_user")
    finally:
        store.close()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_login_stores_the_token_in_the_keyring_and_the_server_in_the_database(
    server: Server, memory: MemoryKeyring, db: Path, cli: Cli
) -> None:
    code, out, err = cli(
        "login", server.url, "anh", "--password-stdin", "--db", db, stdin=PASSWORD + "\n"
    )
    assert code == 0, err
    assert out.strip() == f"Logged in to {server.url} as anh (am)"
    token = memory.entries[(SERVICE, f"{server.url}|anh")]
    cli.seen.append(token)
    assert list(memory.entries) == [(SERVICE, f"{server.url}|anh")]
    assert _state(db) == (server.url, "anh")
    store = Store(db)
    try:
        device_id = store.device_id()
        hlc = store.sync_state("hlc")
    finally:
        store.close()
    assert hlc is not None and unpack(int(hlc))[0] > 0  # the server's clock was folded in
    with SyncClient(server.url, token) as client:
        me = client.me()
    assert (me.user, me.role.value, me.device_id) == ("anh", "am", device_id)
    assert token not in db.read_bytes().decode("latin-1")  # never in the database file

    # Signing in again (prompted this time) replaces the token; the old one stops working.
    cli.monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    code, out, err = cli("login", server.url + "/", "anh", "--db", db)
    assert code == 0, err
    fresh = memory.entries[(SERVICE, f"{server.url}|anh")]
    cli.seen.append(fresh)
    assert fresh != token
    with SyncClient(server.url, token) as client, pytest.raises(Unauthorized):
        client.me()


def test_a_wrong_password_is_exit_1_and_stores_nothing(
    server: Server, memory: MemoryKeyring, db: Path, cli: Cli
) -> None:
    code, out, err = cli(
        "login", server.url, "anh", "--password-stdin", "--db", db, stdin=WRONG + "\n"
    )
    assert code == 1
    assert "refused the user name or password" in err and out == ""
    assert memory.entries == {}
    assert _state(db) == (None, None)


def test_rate_limited_login_is_exit_1_with_the_wait(
    server: Server, memory: MemoryKeyring, db: Path, cli: Cli
) -> None:
    for _ in range(5):
        code, _, _ = cli(
            "login", server.url, "limited", "--password-stdin", "--db", db, stdin=WRONG + "\n"
        )
        assert code == 1
    code, _, err = cli(
        "login",
        server.url,
        "limited",
        "--password-stdin",
        "--db",
        db,
        stdin=LIMITED_PASSWORD + "\n",
    )
    assert code == 1
    assert "too many failed sign-ins; try again in" in err
    assert memory.entries == {}
    assert _state(db) == (None, None)


def test_without_a_secure_keyring_nothing_is_contacted_read_or_stored(
    tmp_path: Path, db: Path, cli: Cli
) -> None:
    keyring.set_keyring(null.Keyring())
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: contacting it would fail
    stdin = io.StringIO(PASSWORD + "\n")
    cli.monkeypatch.setattr("sys.stdin", stdin)
    code, out, err = cli("login", closed, "anh", "--password-stdin", "--db", db)
    assert code == 2 and out == ""
    assert "keyring.backends.null.Keyring" in err
    assert "no secure place" in err
    assert "reach" not in err and "sign in:" not in err  # not a connection message
    assert stdin.tell() == 0  # the password was not even read
    assert _files(tmp_path) == []  # no database, no token file, nothing


def test_an_unreachable_server_is_exit_2_with_a_clear_message(
    memory: MemoryKeyring, db: Path, cli: Cli
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    code, _, err = cli("login", closed, "anh", "--password-stdin", "--db", db, stdin="x\n")
    assert code == 2
    assert f"cannot sign in: cannot reach {closed}" in err
    assert memory.entries == {}
    assert _state(db) == (None, None)


@pytest.mark.parametrize("url", ["ftp://example.com", "example.com", "http://h/?a=1"])
def test_an_unusable_url_is_exit_2(memory: MemoryKeyring, db: Path, cli: Cli, url: str) -> None:
    code, _, err = cli("login", url, "anh", "--password-stdin", "--db", db, stdin="x\n")
    assert code == 2 and "server URL" in err
    assert memory.entries == {}


def test_logout_forgets_the_token_and_is_idempotent(
    server: Server, memory: MemoryKeyring, db: Path, cli: Cli
) -> None:
    code, _, err = cli(
        "login", server.url, "anh", "--password-stdin", "--db", db, stdin=PASSWORD + "\n"
    )
    assert code == 0, err
    cli.seen.extend(memory.entries.values())
    code, out, _ = cli("logout", "--db", db)
    assert code == 0 and f"Logged out of {server.url} (anh)" in out
    assert memory.entries == {}
    assert _state(db) == (None, None)
    code, out, _ = cli("logout", "--db", db)
    assert code == 0 and "Not logged in" in out


def test_logout_without_a_database_creates_nothing(tmp_path: Path, cli: Cli) -> None:
    code, out, _ = cli("logout", "--db", tmp_path / "none.db")
    assert code == 0 and "Not logged in" in out
    assert _files(tmp_path) == []
