"""`workbench login URL USER [--password-stdin]`, `workbench sync` and `workbench logout`.

Why it works this way:

- The device token goes to the OS keyring through `workbench.credentials` and nowhere else.
  The keyring is checked *first*: without a secure backend the command says so (naming the
  backend that was found) and stops before it opens the database, reads a password or contacts
  the server, so it leaves nothing behind.
- The local database keeps which server and user it is signed in to (`sync_state` keys
  `server_url` and `server_user`), so `logout` and, later, `sync` find the token. The server's
  `server_hlc` is folded into the file's clock, so the first local write after signing in
  already orders after the server's state (SYNC.md §1.3).
- The password is read with getpass, or for scripts from the first line of standard input with
  `--password-stdin`, never from the command line (shell history, process list). Neither the
  password nor the token is ever printed.

`login` also makes the server's user the database's current user (`services.sync_setup`): rows
owned by the local placeholder user move to the server's id as ordinary edits.

`sync` runs one cycle (`sync.engine.SyncEngine.sync_once`) and says what it did. Its exit code is
the answer scripts need: 0 caught up (nothing waiting, nothing left to pull), 1 not caught up
(offline, refused, changes still waiting), 2 cannot sync at all (not signed in, no keyring).

Exit codes of login/logout: 0 done; 1 the server refused (wrong user name or password, too
many attempts, a device the server will not accept); 2 unusable input, no secure keyring, the
server cannot be reached or does not speak the protocol, or a local database problem.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from workbench import credentials
from workbench.cli.commands import CommandError, open_store
from workbench.sync.net import is_loopback

STATE_URL = "server_url"
STATE_USER = "server_user"


def _fail(message: str, code: int = 2) -> int:
    print(f"workbench: {message}", file=sys.stderr)
    return code


def _server_url(raw: str) -> str:
    """The server URL as it will be stored and used as the keyring key: http(s), a host, no
    query, fragment or credentials, no trailing slash."""
    url = raw.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as exc:
        raise CommandError(f"not a server URL: {raw!r}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"the server URL must start with https:// or http:// (got {raw!r})")
    if parts.query or parts.fragment or parts.username or parts.password or "|" in url:
        raise CommandError("the server URL must not contain a query, a fragment or a user name")
    return url


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        return password[:-1] if password.endswith("\r") else password
    try:
        return getpass.getpass("Password: ")
    except EOFError as exc:
        raise CommandError("no password given (use --password-stdin for scripts)") from exc


def _device_name() -> str:
    """This computer's name for the server's device list (single line, at most 100 chars)."""
    try:
        name = socket.gethostname()
    except OSError:
        name = ""
    clean = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    return clean[:100] or "Workbench"


def _invalid_input(exc: ValidationError) -> str:
    # The login model hides input in its errors, so the password cannot appear here.
    fields = sorted({str(err["loc"][0]) for err in exc.errors() if err.get("loc")})
    return f"cannot sign in with that {' and '.join(fields) or 'input'}"


def login(args: argparse.Namespace, db: Path) -> int:
    from workbench.sync.client import (
        ProtocolError,
        RateLimited,
        Refused,
        ServerUnavailable,
        SyncClient,
        Unauthorized,
    )

    if credentials.secure_backend() is None:
        return _fail(str(credentials.NoSecureStoreError(credentials.describe_backend())))
    try:
        url = _server_url(args.url)
    except CommandError as exc:
        return _fail(str(exc))
    user = args.user.strip()
    if not user:
        return _fail("the user name is empty")
    host = urlsplit(url).hostname or ""
    if urlsplit(url).scheme == "http" and not is_loopback(host):
        print(
            f"workbench: warning: {url} is not https; your password crosses the network in "
            "clear text",
            file=sys.stderr,
        )
    try:
        store = open_store(db, must_exist=False)
    except CommandError as exc:
        return _fail(str(exc))
    try:
        device_id = store.device_id()
        try:
            password = _read_password(args)
        except CommandError as exc:
            return _fail(str(exc))
        if not password:
            return _fail("no password given; nothing was sent")
        try:
            with SyncClient(url) as client:
                answer = client.login(user, password, device_id, _device_name())
        except ValidationError as exc:
            return _fail(_invalid_input(exc))
        except RateLimited as exc:
            wait = max(1, round(exc.retry_after))
            return _fail(f"too many failed sign-ins; try again in {wait} s", 1)
        except Unauthorized:
            return _fail(f"{url} refused the user name or password", 1)
        except Refused as exc:
            return _fail(f"{url} refused the sign-in ({exc.code}): {exc}", 1)
        except (ServerUnavailable, ProtocolError) as exc:
            return _fail(f"cannot sign in: {exc}")
        try:
            credentials.store_token(url, user, answer.token)
        except credentials.NoSecureStoreError as exc:
            return _fail(str(exc))
        except Exception as exc:  # a secure backend that failed (locked, prompt dismissed)
            return _fail(f"the keyring could not save the sign-in token ({type(exc).__name__})")
        previous = (store.sync_state(STATE_URL), store.sync_state(STATE_USER))
        store.set_sync_state({STATE_URL: url, STATE_USER: user})
        store.observe_hlc(answer.server_hlc)
        from workbench.services.sync_setup import adopt_server_user

        adopt_server_user(store, answer.user_id, user, answer.role.value)
        if previous[0] and previous[1] and previous != (url, user):
            # Signed in elsewhere before: that token is no longer used; do not leave it behind.
            try:
                credentials.delete_token(previous[0], previous[1])
            except Exception:
                print(
                    f"workbench: warning: could not remove the old token of {previous[1]} "
                    f"at {previous[0]} from the keyring",
                    file=sys.stderr,
                )
    finally:
        store.close()
    print(f"Logged in to {url} as {user} ({answer.role.value})")
    return 0


def logout(args: argparse.Namespace, db: Path) -> int:
    """Forget the token and the server of this database; signing out twice is fine."""
    if not db.exists():
        print("Not logged in.")
        return 0
    try:
        store = open_store(db)
    except CommandError as exc:
        return _fail(str(exc))
    try:
        url, user = store.sync_state(STATE_URL), store.sync_state(STATE_USER)
        if url and user:
            try:
                credentials.delete_token(url, user)
            except Exception as exc:
                return _fail(
                    f"the keyring could not remove the sign-in token ({type(exc).__name__}); "
                    "still signed in"
                )
        store.set_sync_state({STATE_URL: None, STATE_USER: None})
    finally:
        store.close()
    if url and user:
        print(f"Logged out of {url} ({user}).")
    else:
        print("Not logged in.")
    return 0


def sync(args: argparse.Namespace, db: Path) -> int:
    """One sync cycle; exit 0 when caught up, 1 when not, 2 when it cannot sync at all."""
    if not db.exists():
        return _fail(f"no database at {db}")
    if credentials.secure_backend() is None:
        return _fail(str(credentials.NoSecureStoreError(credentials.describe_backend())))
    from workbench.sync.engine import engine_for

    try:
        engine = engine_for(db)
    except Exception as exc:  # a damaged or newer database file
        return _fail(f"cannot open {db}: {exc}")
    if engine is None:
        return _fail("not signed in to a team server; run: workbench login URL USER")
    try:
        report = engine.sync_once()
    finally:
        engine.close()
    parts = [f"sent {report.pushed} change(s)", f"received {report.pulled}"]
    if report.conflicts:
        parts.append(f"{report.conflicts} conflict record(s)")
    if report.rejected:
        parts.append(f"{report.rejected} change(s) need attention")
    summary = ", ".join(parts)
    if report.caught_up:
        if not args.quiet:
            print(f"Up to date ({summary}).")
        return 0
    why = report.error or (
        "cancelled" if report.cancelled else f"{report.waiting} change(s) still waiting"
    )
    state = "offline" if report.offline else "not caught up"
    print(f"{state.capitalize()}: {why} ({summary}; {report.waiting} waiting).", file=sys.stderr)
    return 1
