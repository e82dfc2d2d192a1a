"""`workbench server init|adduser|passwd|revoke-device|serve`, through `workbench.app.main`."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.app import build_parser, main
from workbench.paths import data_dir
from workbench.sync.server import db
from workbench.sync.server.auth import Auth, InvalidCredentials, TokenRevoked

from .conftest import FAST_HASHER

PASSWORD = "correct horse battery staple"


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None
) -> tuple[int, str, str]:
    capsys.readouterr()
    if stdin is not None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("sys.stdin", io.StringIO(stdin))
            code = main(list(argv))
    else:
        code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def auth_for(db_url: str) -> Iterator[Auth]:
    engine = db.make_engine(db_url)
    yield Auth(engine, hasher=FAST_HASHER)
    engine.dispose()


def test_init_adduser_passwd_revoke(
    capsys: pytest.CaptureFixture[str], db_url: str, auth_for: Auth
) -> None:
    code, out, _ = run(capsys, "server", "init", "--db", db_url)
    assert code == 0 and "created" in out
    code, out, _ = run(capsys, "server", "init", "--db", db_url)
    assert code == 0 and "up to date" in out

    code, out, err = run(
        capsys,
        "server",
        "adduser",
        "anh",
        "--role",
        "am",
        "--password-stdin",
        "--db",
        db_url,
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err
    assert "anh (am) added" in out and PASSWORD not in out + err
    code, _, err = run(
        capsys,
        "server",
        "adduser",
        "anh",
        "--role",
        "rm",
        "--password-stdin",
        "--db",
        db_url,
        stdin=PASSWORD + "\n",
    )
    assert code == 2 and "already exists" in err

    result = auth_for.login("anh", PASSWORD, str(uuid.uuid4()), "laptop", "127.0.0.1")
    code, out, err = run(
        capsys,
        "server",
        "passwd",
        "anh",
        "--password-stdin",
        "--db",
        db_url,
        stdin="a brand new passphrase\r\n",
    )
    assert code == 0, err
    with pytest.raises(InvalidCredentials):
        auth_for.login("anh", PASSWORD, str(uuid.uuid4()), "laptop", "127.0.0.1")
    auth_for.login("anh", "a brand new passphrase", str(uuid.uuid4()), "laptop", "127.0.0.1")

    device = result.device.device_id
    code, out, _ = run(capsys, "server", "revoke-device", device, "--db", db_url)
    assert code == 0 and "revoked" in out
    with pytest.raises(TokenRevoked):
        auth_for.authenticate(result.token)
    code, out, _ = run(capsys, "server", "revoke-device", device, "--db", db_url)
    assert code == 0 and "already revoked" in out
    code, _, err = run(capsys, "server", "revoke-device", str(uuid.uuid4()), "--db", db_url)
    assert code == 2 and "no device" in err
    code, _, err = run(
        capsys,
        "server",
        "passwd",
        "nobody",
        "--password-stdin",
        "--db",
        db_url,
        stdin="whatever it is\n",
    )
    assert code == 2 and "no user" in err


def test_adduser_prompts_twice_and_refuses_a_mismatch(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = str(tmp_path / "s.db")
    assert run(capsys, "server", "init", "--db", target)[0] == 0
    answers = iter(["first passphrase", "second passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(capsys, "server", "adduser", "anh", "--role", "am", "--db", target)
    assert code == 2 and "do not match" in err
    answers = iter([PASSWORD, PASSWORD])
    code, out, _ = run(capsys, "server", "adduser", "anh", "--role", "finance", "--db", target)
    assert code == 0 and "(finance)" in out
    code, _, err = run(
        capsys,
        "server",
        "adduser",
        "binh",
        "--role",
        "am",
        "--password-stdin",
        "--db",
        target,
        stdin="short\n",
    )
    assert code == 2 and "at least" in err


def test_db_defaults_to_server_db_in_the_data_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "server", "init")[0] == 0
    assert (data_dir() / "server.db").is_file()


def test_commands_refuse_a_database_that_was_never_initialised(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = str(tmp_path / "nothing.db")
    for argv in (
        ["adduser", "anh", "--role", "am", "--password-stdin"],
        ["passwd", "anh", "--password-stdin"],
        ["revoke-device", str(uuid.uuid4())],
        ["serve", "--port", "1"],
    ):
        code, _, err = run(capsys, "server", *argv, "--db", target, stdin=PASSWORD + "\n")
        assert code == 2 and "workbench server init" in err, argv


def test_serve_checks_its_tls_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = str(tmp_path / "s.db")
    run(capsys, "server", "init", "--db", target)
    code, _, err = run(capsys, "server", "serve", "--db", target, "--tls-cert", "c.pem")
    assert code == 2 and "go together" in err
    code, _, err = run(
        capsys,
        "server",
        "serve",
        "--db",
        target,
        "--tls-cert",
        str(tmp_path / "c.pem"),
        "--tls-key",
        str(tmp_path / "k.pem"),
    )
    assert code == 2 and "no such file" in err


def test_bad_urls_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "server", "init", "--db", "mysql://u@h/db")
    assert code == 2 and "unsupported" in err


def test_cli_roles_are_the_server_roles(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for role in db.ROLES:
        assert parser.parse_args(["server", "adduser", "x", "--role", role]).role == role
    with pytest.raises(SystemExit):
        parser.parse_args(["server", "adduser", "x", "--role", "boss"])
