"""`workbench server init|adduser|passwd|revoke-device|serve`: the admin's side of the server.

The argparse wiring lives in `workbench.app`; these functions take its namespace and return an
exit code (0 ok, 2 a refusal explained on stderr). Passwords are read with getpass (asked
twice) or, for scripts, from standard input with `--password-stdin`, never from the command
line, where they would sit in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.paths import data_dir
from workbench.sync.net import is_loopback

if TYPE_CHECKING:
    from sqlalchemy import Engine

# Modules of the `server` extra; a missing one gets an install hint instead of a traceback.
EXTRA_MODULES = frozenset({"fastapi", "starlette", "uvicorn", "argon2", "psycopg", "pydantic"})


class ServerCommandError(Exception):
    """A message for the admin; printed without a traceback, exit code 2."""


def default_server_db() -> Path:
    return data_dir() / "server.db"


def _db_spec(args: argparse.Namespace) -> str:
    return str(args.server_db) if args.server_db else str(default_server_db())


def _engine(args: argparse.Namespace, *, check: bool = True) -> Engine:
    from workbench.sync.server import db

    try:
        url = db.parse_url(_db_spec(args))
    except ValueError as exc:
        raise ServerCommandError(str(exc)) from exc
    engine = db.make_engine(url)
    if check:
        try:
            db.check_schema(engine)
        except db.SchemaError as exc:
            engine.dispose()
            raise ServerCommandError(f"{db.display_url(url)}: {exc}") from exc
    return engine


def _read_password(args: argparse.Namespace, *, prompt: str = "Password") -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        return password[:-1] if password.endswith("\r") else password
    first = getpass.getpass(f"{prompt}: ")
    second = getpass.getpass(f"{prompt} (again): ")
    if first != second:
        raise ServerCommandError("the passwords do not match; nothing was changed")
    return first


def init(args: argparse.Namespace) -> int:
    """Create or migrate the server schema (idempotent)."""
    from workbench.sync.server import db

    engine = _engine(args, check=False)
    try:
        before, after = db.upgrade(engine)
    except db.SchemaError as exc:
        raise ServerCommandError(str(exc)) from exc
    finally:
        engine.dispose()
    where = db.display_url(engine.url)
    if before == after:
        print(f"server database {where} is up to date (schema {after})")
    elif before is None:
        print(f"server database {where} created (schema {after})")
    else:
        print(f"server database {where} migrated from schema {before} to {after}")
    return 0


def adduser(args: argparse.Namespace) -> int:
    from workbench.sync.server.auth import Auth, UserExists

    engine = _engine(args)
    try:
        auth = Auth(engine)
        if auth.get_user(args.name) is not None:
            raise ServerCommandError(f"a user named {args.name!r} already exists")
        password = _read_password(args)
        try:
            user = auth.create_user(args.name, args.role, password)
        except (ValueError, UserExists) as exc:
            raise ServerCommandError(f"{exc}; nothing was changed") from exc
        # Publish the user in the synced directory: clients show names and owners from it.
        from workbench.sync.server import service
        from workbench.sync.server.app import ServerClock

        service.register_user(engine, ServerClock(), user.id, user.name, user.role)
    finally:
        engine.dispose()
    print(f"user {user.name} ({user.role}) added, id {user.id}")
    return 0


def passwd(args: argparse.Namespace) -> int:
    from workbench.sync.server.auth import Auth, UnknownUser

    engine = _engine(args)
    try:
        auth = Auth(engine)
        if auth.get_user(args.name) is None:
            raise ServerCommandError(f"no user named {args.name!r}")
        password = _read_password(args, prompt="New password")
        try:
            auth.set_password(args.name, password)
        except (ValueError, UnknownUser) as exc:
            raise ServerCommandError(f"{exc}; nothing was changed") from exc
    finally:
        engine.dispose()
    print(f"password of {args.name} changed (its failed-login count was cleared)")
    return 0


def assign(args: argparse.Namespace) -> int:
    """Reassign an account through the single write path: the owner's scope changes, so the
    account and everything under it move to the new owner's devices on their next sync, and
    leave the old owner's devices once their pending edits are answered."""
    from workbench.sync.server import service
    from workbench.sync.server.app import ServerClock
    from workbench.sync.server.auth import Auth

    engine = _engine(args)
    try:
        user = Auth(engine).get_user(args.user)
        if user is None:
            raise ServerCommandError(f"no user named {args.user!r}")
        found = service.find_account(engine, args.account)
        if not found:
            raise ServerCommandError(f"no account matches {args.account!r}")
        if len(found) > 1:
            listed = ", ".join(f"{name} ({row_id})" for row_id, name in found[:5])
            raise ServerCommandError(
                f"{len(found)} accounts match {args.account!r}: {listed}; give the id"
            )
        account_id, name = found[0]
        seq = service.server_write(
            engine, ServerClock(), service.assign_ops(engine, account_id, user.id)
        )
    finally:
        engine.dispose()
    print(f"account {name} ({account_id}) now owned by {user.name} (change {seq})")
    return 0


def revoke_device(args: argparse.Namespace) -> int:
    from workbench.sync.server.auth import Auth, UnknownDevice

    engine = _engine(args)
    try:
        try:
            changed = Auth(engine).revoke_device(args.device_id)
        except (ValueError, UnknownDevice) as exc:
            raise ServerCommandError(str(exc)) from exc
    finally:
        engine.dispose()
    print(f"device {args.device_id} {'revoked' if changed else 'was already revoked'}")
    return 0


def _log_to_stderr(level: str) -> None:
    """Show the server's own events (logins, refusals, revocations) beside uvicorn's.

    Only the `workbench` logger: turning on the root logger would make SQLAlchemy log SQL
    parameters, password and token hashes among them.
    """
    logger = logging.getLogger("workbench")
    logger.setLevel(level.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False


def serve(args: argparse.Namespace) -> int:
    """Run uvicorn in this process (one worker; run more processes for more capacity)."""
    import uvicorn

    from workbench.sync.server.app import create_app

    if bool(args.tls_cert) != bool(args.tls_key):
        raise ServerCommandError("--tls-cert and --tls-key go together")
    for path in (args.tls_cert, args.tls_key):
        if path is not None and not Path(path).is_file():
            raise ServerCommandError(f"no such file: {path}")
    engine = _engine(args)  # refuses an uninitialised or newer schema before binding a port
    engine.dispose()
    if not args.tls_cert and not is_loopback(args.host):
        print(
            f"workbench: warning: serving on {args.host} without TLS; passwords and tokens "
            "cross the network in clear text (pass --tls-cert/--tls-key, or put a TLS proxy "
            "in front)",
            file=sys.stderr,
        )
    _log_to_stderr(args.log_level)
    app = create_app(_db_spec(args))
    # Everything loaded so far (modules, the app, SQLAlchemy's tables) lives as long as the
    # process: moved out of the collector's sight, a full collection no longer walks it (one
    # took ~75 ms in the middle of a small edit's push).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
        ssl_keyfile=str(args.tls_key) if args.tls_key else None,
        log_level=args.log_level,
        server_header=False,
    )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": init,
    "adduser": adduser,
    "passwd": passwd,
    "revoke-device": revoke_device,
    "assign": assign,
    "serve": serve,
}


def run(args: argparse.Namespace) -> int:
    """Dispatch `workbench server <command>`; refusals print one line and return 2."""
    try:
        return COMMANDS[args.server_command](args)
    except ServerCommandError as exc:
        print(f"workbench server: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("workbench server: interrupted", file=sys.stderr)
        return 130
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in EXTRA_MODULES:
            raise
        print(
            f"workbench server: {exc.name} is missing; install the server extra: "
            "pip install 'workbench[server]'",
            file=sys.stderr,
        )
        return 2
