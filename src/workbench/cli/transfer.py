"""`workbench import` and `workbench export`: the command-line face of services.transfer.

Why these exit codes: scripts that feed files in nightly need to tell "done" (0) from "done,
but some rows need a person" (1) from "this file is not usable at all" (2) without parsing
text. Rejected rows go to standard error, one per line with their line number and column, and
the one-line summary to standard output, so either can be redirected on its own.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TextIO

from workbench.services.transfer import (
    ImportReport,
    Kind,
    TransferFileError,
    check_rows,
    export_rows,
    import_rows,
    read_rows,
    write_csv,
    write_json,
)
from workbench.storage.store import Store

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_UNUSABLE = 2


def run_import(
    store: Store, kind: Kind, file: Path, *, dry_run: bool = False, skip_invalid: bool = False
) -> int:
    """Check or import `file`; 0 when every row is fine, 1 when rows were rejected, 2 when
    the file can't be used."""
    try:
        rows = read_rows(kind, file)
    except TransferFileError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if dry_run:
        report = check_rows(store, kind, rows)
    else:
        report = import_rows(store, kind, rows, skip_invalid=skip_invalid)
    for error in report.errors:
        print(error.render(), file=sys.stderr)
    print(summary(report, dry_run=dry_run, skip_invalid=skip_invalid))
    return EXIT_REJECTED if report.errors else EXIT_OK


def summary(report: ImportReport, *, dry_run: bool, skip_invalid: bool) -> str:
    """One line: what was (or would be) imported, and how many rows were rejected."""
    imported = "would import" if dry_run else "imported"
    what = _count(report.importable, report.kind.removesuffix("s"))
    if not report.errors:
        return f"{imported} {what}"
    rejected = _count(report.rejected, "row")
    if skip_invalid:
        return f"{imported} {what}, {'would reject' if dry_run else 'rejected'} {rejected}"
    line = f"{imported} nothing: {report.rejected} of {_count(report.rows, 'row')} rejected"
    if report.importable:
        line += f" (fix them, or pass --skip-invalid to import the other {what})"
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def run_export(store: Store, kind: Kind, fmt: str, output: Path | None) -> int:
    """Write every live account or contact as CSV or JSON to `output` or standard output.

    A file is written beside its target and renamed into place at the end, so an interrupted
    export never leaves a truncated file where a complete one was expected.
    """
    if fmt not in ("csv", "json"):
        print(f"workbench: unknown format {fmt!r}; use csv or json", file=sys.stderr)
        return EXIT_UNUSABLE
    if output is None:
        stdout = _utf8(sys.stdout)
        try:
            n = _write(store, kind, fmt, stdout)
            stdout.flush()
        except BrokenPipeError:
            # The reader stopped early (`| head`): not an error worth a traceback.
            _silence_stdout()
            return EXIT_REJECTED
        print(f"exported {_count(n, kind.removesuffix('s'))}", file=sys.stderr)
        return EXIT_OK
    part = output.with_name(f".{output.name}.part")
    try:
        with part.open("w", encoding="utf-8", newline="") as stream:
            n = _write(store, kind, fmt, stream)
        part.replace(output)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        print(f"workbench: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"exported {_count(n, kind.removesuffix('s'))} to {output}")
    return EXIT_OK


def _write(store: Store, kind: Kind, fmt: str, stream: TextIO) -> int:
    rows = export_rows(store, kind)
    if fmt == "json":
        return write_json(rows, stream)
    return write_csv(kind, rows, stream)


def _utf8(stream: TextIO) -> TextIO:
    """Standard output as UTF-8 whatever the console's code page: the export is data, and a
    Vietnamese name must not turn into '?' or an error on a Windows pipe."""
    encoding = (getattr(stream, "encoding", "") or "").lower().replace("-", "").replace("_", "")
    reconfigure = getattr(stream, "reconfigure", None)
    if encoding != "utf8" and reconfigure is not None:
        reconfigure(encoding="utf-8")
    return stream


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
