"""The subcommands behind `workbench demo|search|import|export`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.storage.migrate import NewerDatabaseError, NotAWorkbenchDatabaseError
from workbench.storage.store import Store


class CommandError(Exception):
    """A message for the user; printed without a traceback, exit code 2."""


def open_store(db: Path, *, must_exist: bool = True) -> Store:
    if must_exist and not db.exists():
        raise CommandError(f"no database at {db} (make one with: workbench demo {db})")
    try:
        return Store(db)
    except (NewerDatabaseError, NotAWorkbenchDatabaseError) as exc:
        raise CommandError(str(exc)) from exc


def _fail(exc: CommandError) -> int:
    print(f"workbench: {exc}", file=sys.stderr)
    return 2


def demo(args: argparse.Namespace, _db: Path) -> int:
    from workbench.demo.generator import generate

    path: Path = args.path
    if path.exists():
        if not args.force:
            return _fail(CommandError(f"{path} exists; pass --force to replace it"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if args.accounts < 1:
        return _fail(CommandError("--accounts must be at least 1"))

    def progress(done: int, total: int, what: str) -> bool:
        print(f"\r{what}: {done}/{total}   ", end="", file=sys.stderr, flush=True)
        return True

    summary = generate(path, seed=args.seed, accounts=args.accounts, progress=progress)
    print(file=sys.stderr)
    print(", ".join(f"{n} {table}" for table, n in summary.items()))
    return 0


def search(args: argparse.Namespace, db: Path) -> int:
    try:
        store = open_store(db)
    except CommandError as exc:
        return _fail(exc)
    with store.read() as q:
        hits = q.search(args.text, limit=max(1, args.limit))
    store.close()
    if args.format == "json":
        print(json.dumps([hit.__dict__ for hit in hits], ensure_ascii=False, indent=2))
    else:
        width = max((len(h.title) for h in hits), default=0)
        for h in hits:
            print(f"{h.kind:<8} {h.title:<{width}}  {h.subtitle}  [{h.ref_id}]")
        if not hits:
            print("no matches", file=sys.stderr)
    return 0


def import_(args: argparse.Namespace, db: Path) -> int:
    from workbench.cli.transfer import run_import

    if not args.file.is_file():
        # Checked before opening the store, so a typo never creates an empty database.
        return _fail(CommandError(f"{args.file}: no such file"))
    try:
        store = open_store(db, must_exist=False)
    except CommandError as exc:
        return _fail(exc)
    try:
        return run_import(
            store, args.kind, args.file, dry_run=args.dry_run, skip_invalid=args.skip_invalid
        )
    finally:
        store.close()


def export(args: argparse.Namespace, db: Path) -> int:
    from workbench.cli.transfer import run_export

    try:
        store = open_store(db)
    except CommandError as exc:
        return _fail(exc)
    try:
        return run_export(store, args.kind, args.format, args.output)
    finally:
        store.close()
