"""Composition root and command line: the only module that knows every layer.

The GUI path imports Qt first and defers SQLAlchemy to the database worker, so the window paints
before the ORM is loaded. Command-line subcommands use the same services as the GUI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from workbench import __version__
from workbench.paths import default_db_path

PERSPECTIVES = ("am", "rm", "finance", "sales")


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"SQLite database file (default: {default_db_path()})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Workbench: accounts, people and interactions for the people who own "
        "a client after the sale. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    _db_option(parser)
    parser.add_argument("--lang", choices=("en", "vi"), help="user interface language")
    parser.add_argument(
        "--perspective",
        choices=PERSPECTIVES,
        help="dock arrangement: am (account manager), rm (relationship manager), finance, sales",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open on a freshly generated demo database (in the data folder)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="render the main window at 1600x1000 once data has loaded, save it and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="write a deterministic demo database")
    demo.add_argument("path", type=Path)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--accounts", type=int, default=60)
    demo.add_argument("--force", action="store_true", help="overwrite an existing file")

    search = sub.add_parser("search", help="quick search over accounts and contacts")
    search.add_argument("text")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--format", choices=("table", "json"), default="table")
    _db_option(search)

    imp = sub.add_parser("import", help="import accounts or contacts from a UTF-8 CSV file")
    imp.add_argument("kind", choices=("accounts", "contacts"))
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows, report the others"
    )
    _db_option(imp)

    exp = sub.add_parser("export", help="export accounts or contacts (the columns import reads)")
    exp.add_argument("kind", choices=("accounts", "contacts"))
    exp.add_argument("--format", choices=("csv", "json"), default="csv")
    exp.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    _db_option(exp)

    login = sub.add_parser(
        "login", help="sign in to a team sync server (the token goes to the OS keyring)"
    )
    login.add_argument("url", metavar="URL", help="the server, e.g. https://sync.example.com")
    login.add_argument("user", metavar="USER")
    login.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (no prompt)",
    )
    _db_option(login)
    logout = sub.add_parser("logout", help="sign out: forget the token of this database")
    _db_option(logout)
    sync = sub.add_parser(
        "sync", help="one sync cycle with the team server (exit 0: caught up, 1: not yet)"
    )
    sync.add_argument("--quiet", action="store_true", help="print nothing when caught up")
    _db_option(sync)
    plan = sub.add_parser("plan", help="account plans")
    plan_cmds = plan.add_subparsers(dest="plan_command", metavar="PLAN_COMMAND", required=True)
    plan_pdf = plan_cmds.add_parser("pdf", help="write an account's current plan as a PDF")
    plan_pdf.add_argument("account", metavar="ACCOUNT", help="account id, name or unique prefix")
    plan_pdf.add_argument(
        "--client-safe",
        action="store_true",
        help="leave out internal notes, risks, weaknesses, threats, competitors, the update log",
    )
    plan_pdf.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    _db_option(plan_pdf)
    _server_parser(sub)
    return parser


def _server_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`workbench server ...`: the team sync server (implementations in sync/server/cli.py)."""
    server = sub.add_parser("server", help="run and administer a team sync server")
    cmds = server.add_subparsers(dest="server_command", metavar="SERVER_COMMAND", required=True)

    def db_url(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--db",
            dest="server_db",
            metavar="URL",
            default=None,
            help="server database: a SQLite file path, sqlite:///FILE or postgresql://... "
            "(default: server.db in the data folder)",
        )

    def password_stdin(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (no prompt)",
        )

    db_url(cmds.add_parser("init", help="create or migrate the server database"))
    add = cmds.add_parser("adduser", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("am", "rm", "finance", "sales", "admin"))
    password_stdin(add)
    db_url(add)
    pw = cmds.add_parser("passwd", help="set a user's password")
    pw.add_argument("name")
    password_stdin(pw)
    db_url(pw)
    assign = cmds.add_parser(
        "assign", help="make USER the owner of ACCOUNT (its rows move to USER's devices)"
    )
    assign.add_argument("account", metavar="ACCOUNT", help="account id, tax code (MST) or name")
    assign.add_argument("user", metavar="USER")
    db_url(assign)
    rev = cmds.add_parser("revoke-device", help="revoke a device's token for good")
    rev.add_argument("device_id")
    db_url(rev)
    srv = cmds.add_parser("serve", help="serve the sync API (uvicorn)")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8765)
    srv.add_argument("--tls-cert", type=Path, metavar="FILE", help="PEM certificate (chain)")
    srv.add_argument("--tls-key", type=Path, metavar="FILE", help="PEM private key")
    srv.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    db_url(srv)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    db: Path = args.db or default_db_path()
    if args.command is None:
        from workbench.ui.launch import run_gui

        return run_gui(
            db=args.db,
            demo=args.demo,
            lang=args.lang,
            perspective=args.perspective,
            screenshot=args.screenshot,
        )
    if args.command == "server":
        from workbench.sync.server.cli import run as run_server

        return run_server(args)
    if args.command == "plan":  # renders through Qt: reports, not cli (which has no Qt)
        from workbench.reports.plan_cli import run as run_plan

        return run_plan(args, db)
    if args.command in ("login", "logout", "sync"):
        from workbench.cli import sync_commands

        sync_handlers = {
            "login": sync_commands.login,
            "logout": sync_commands.logout,
            "sync": sync_commands.sync,
        }
        return sync_handlers[args.command](args, db)
    from workbench.cli import commands

    handlers = {
        "demo": commands.demo,
        "search": commands.search,
        "import": commands.import_,
        "export": commands.export,
    }
    return handlers[args.command](args, db)


if __name__ == "__main__":
    sys.exit(main())
