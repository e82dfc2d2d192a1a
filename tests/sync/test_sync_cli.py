"""`workbench sync` and `workbench server assign` through `workbench.app.main`, in this process,
against the real server process (SQLite).

Exit codes of `sync`: 0 caught up, 1 not caught up (offline, refused, changes waiting), 2
cannot sync at all (no database, not signed in, no secure keyring). The keyring is an
in-memory secure backend selected with ``keyring.set_keyring`` (restored afterwards), as in
test_login_cli.py: the user's real keyring is never touched.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import null

from tests.sync.procs import LocalFile, restart_server
from workbench.app import main
from workbench.credentials import SERVICE
from workbench.storage.store import Store
from workbench.sync.server.rows import load_fields

from ..test_credentials import MemoryKeyring
from .conftest import Server, start_server

PASSWORDS = {"anh": "Mật khẩu của Anh 2026", "binh": "binh passphrase 42"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("sync-cli-server")
    users = [(name, "am", password) for name, password in PASSWORDS.items()]
    with start_server(workdir, str(workdir / "server.db"), users) as running:
        yield running


@pytest.fixture(autouse=True)
def memory() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class Cli:
    """`workbench.app.main` with captured output; no password or token may ever show."""

    def __init__(
        self,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        memory: MemoryKeyring,
    ) -> None:
        self.capsys, self.monkeypatch, self.memory = capsys, monkeypatch, memory

    def __call__(self, *argv: str | Path, stdin: str | None = None) -> tuple[int, str, str]:
        self.capsys.readouterr()
        if stdin is not None:
            self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main([str(a) for a in argv])
        out, err = self.capsys.readouterr()
        for secret in (*PASSWORDS.values(), *self.memory.entries.values()):
            assert secret not in out and secret not in err
        return code, out, err

    def login(self, url: str, user: str, db: Path) -> None:
        argv = ("login", url, user, "--password-stdin", "--db", db)
        code, _, err = self(*argv, stdin=PASSWORDS[user] + "\n")
        assert code == 0, err


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, memory: MemoryKeyring
) -> Cli:
    return Cli(capsys, monkeypatch, memory)


def new_accounts(db: Path, *accounts: dict[str, str]) -> list[str]:
    """Local edits: each account one unit of work, owned by the signed-in user."""
    store = Store(db)
    try:
        ids = []
        for values in accounts:
            with store.unit() as uow:
                owner = store.setting("current_user_id")
                ids.append(uow.insert("accounts", {"owner_id": owner, **values}))
                uow.commit()
        return ids
    finally:
        store.close()


# -- workbench sync ----------------------------------------------------------------------------


def test_sync_without_a_database_or_a_sign_in_is_exit_2(
    server: Server, tmp_path: Path, cli: Cli, memory: MemoryKeyring
) -> None:
    db = tmp_path / "workbench.db"
    code, out, err = cli("sync", "--db", db)
    assert (code, out) == (2, "") and f"no database at {db}" in err
    assert not db.exists()  # nothing created

    Store(db).close()  # a database that never signed in
    code, out, err = cli("sync", "--db", db)
    assert (code, out) == (2, "")
    assert "not signed in to a team server; run: workbench login URL USER" in err

    cli.login(server.url, "anh", db)
    memory.entries.clear()  # the keyring lost the token (another machine, a wiped keychain)
    code, _, err = cli("sync", "--db", db)
    assert code == 2 and "not signed in" in err

    keyring.set_keyring(null.Keyring())
    code, _, err = cli("sync", "--db", db)
    assert code == 2 and "keyring.backends.null.Keyring" in err


def test_sync_when_caught_up_is_exit_0_and_says_up_to_date(
    server: Server, tmp_path: Path, cli: Cli
) -> None:
    db = tmp_path / "workbench.db"
    cli.login(server.url, "anh", db)
    new_accounts(db, {"name": "Công ty Up To Date"})
    code, out, err = cli("sync", "--db", db)
    assert code == 0, err
    assert out.startswith("Up to date (sent 1 change(s), received ") and err == ""
    assert LocalFile(db).outbox() == []
    code, out, err = cli("sync", "--db", db)
    assert (code, out.strip(), err) == (0, "Up to date (sent 0 change(s), received 0).", "")
    code, out, err = cli("sync", "--quiet", "--db", db)
    assert (code, out, err) == (0, "", "")


def test_sync_with_the_server_down_is_exit_1_and_keeps_the_edits(tmp_path: Path, cli: Cli) -> None:
    workdir = tmp_path / "server"
    workdir.mkdir()
    users = [("anh", "am", PASSWORDS["anh"])]
    with start_server(workdir, str(workdir / "server.db"), users) as own:
        db = tmp_path / "workbench.db"
        cli.login(own.url, "anh", db)
        assert cli("sync", "--db", db)[0] == 0
        made = new_accounts(db, {"name": "Ngoại tuyến 1"}, {"name": "Ngoại tuyến 2"})
        waiting = LocalFile(db).outbox()
        assert len(waiting) == 2

        own.process.terminate()
        own.process.wait(timeout=10)
        code, out, err = cli("sync", "--db", db)
        assert (code, out) == (1, "")
        assert err.startswith("Offline: cannot reach ") and "(sent 0 change(s)" in err
        assert "2 waiting" in err
        assert LocalFile(db).outbox() == waiting  # the edits wait, untouched
        assert set(made) <= LocalFile(db).ids("accounts")

        restart_server(own)  # the same database on the same port
        code, out, err = cli("sync", "--db", db)
        assert code == 0, err
        assert out.startswith("Up to date (sent 2 change(s)")
        assert LocalFile(db).outbox() == []


def test_sync_with_a_revoked_device_is_exit_1_and_says_sign_in_again(
    server: Server, tmp_path: Path, cli: Cli
) -> None:
    db = tmp_path / "workbench.db"
    cli.login(server.url, "anh", db)
    new_accounts(db, {"name": "Thu hồi"})
    code, err = server.cli("revoke-device", LocalFile(db).state()["device_id"])
    assert code == 0, err
    code, _, err = cli("sync", "--db", db)
    assert code == 1
    assert "signed out by the server" in err and "sign in again" in err
    assert len(LocalFile(db).outbox()) == 1  # kept for after the next sign-in


# -- workbench server assign --------------------------------------------------------------------


def _owner(server: Server, account_id: str) -> str:
    from workbench.sync.server import db, service

    engine = db.make_engine(server.db_url)
    try:
        (row,) = [r for r in service.all_rows(engine, ["accounts"]) if r.row_id == account_id]
        return str(load_fields(row.fields)["owner_id"][0])
    finally:
        engine.dispose()


def _user_id(server: Server, name: str) -> str:
    from workbench.sync.server import db, service

    engine = db.make_engine(server.db_url)
    try:
        found = service.user_id_by_name(engine, name)
        assert found is not None
        return found
    finally:
        engine.dispose()


def test_assign_by_tax_code_name_or_id_moves_the_account(
    server: Server, tmp_path: Path, cli: Cli
) -> None:
    anh_db, binh_db = tmp_path / "anh.db", tmp_path / "binh.db"
    cli.login(server.url, "anh", anh_db)
    cli.login(server.url, "binh", binh_db)
    alpha, gamma, beta1, beta2 = new_accounts(
        anh_db,
        {"name": "Công ty Alpha", "tax_code": "0109998887"},
        {"name": "Công ty Gamma"},
        {"name": "Công ty Beta Trùng"},
        {"name": "Công ty Beta Trùng"},
    )
    assert cli("sync", "--db", anh_db)[0] == 0
    binh = _user_id(server, "binh")

    def assign(account: str, user: str) -> tuple[int, str, str]:
        return cli("server", "assign", account, user, "--db", server.db_url)

    code, out, err = assign("0109998887", "binh")  # by tax code (MST)
    assert code == 0, err
    assert out.strip().startswith(f"account Công ty Alpha ({alpha}) now owned by binh")
    code, out, err = assign("công ty gamma", "binh")  # by name: exact, any case
    assert code == 0, err
    assert f"({gamma})" in out
    code, out, err = assign(beta1, "binh")  # by id
    assert code == 0, err
    assert f"({beta1})" in out
    assert {_owner(server, a) for a in (alpha, gamma, beta1)} == {binh}

    code, out, err = assign("Công ty Beta Trùng", "binh")  # ambiguous
    assert (code, out) == (2, "")
    assert "2 accounts match 'Công ty Beta Trùng'" in err and "give the id" in err
    assert beta1 in err and beta2 in err
    code, out, err = assign("Công ty", "binh")  # a name must match whole
    assert code == 2 and "no account matches 'Công ty'" in err
    code, out, err = assign(beta2, "nobody")
    assert code == 2 and "no user named 'nobody'" in err
    assert _owner(server, beta2) != binh  # refusals changed nothing

    # The accounts move: to binh's laptop, and off anh's.
    assert cli("sync", "--db", binh_db)[0] == 0
    assert {alpha, gamma, beta1} <= LocalFile(binh_db).ids("accounts")
    assert beta2 not in LocalFile(binh_db).ids("accounts")
    assert cli("sync", "--db", anh_db)[0] == 0
    assert LocalFile(anh_db).ids("accounts") & {alpha, gamma, beta1} == set()
    assert beta2 in LocalFile(anh_db).ids("accounts")
    assert list(cli.memory.entries) == [
        (SERVICE, f"{server.url}|anh"),
        (SERVICE, f"{server.url}|binh"),
    ]
