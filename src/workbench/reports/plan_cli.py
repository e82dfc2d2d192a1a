"""`workbench plan pdf ACCOUNT [--client-safe] --out FILE.pdf`.

Here and not in workbench.cli because the PDF is rendered through Qt, which the cli package
must not import; app.py dispatches the `plan` command to this module.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli.commands import CommandError, open_store


def run(args: argparse.Namespace, db: Path) -> int:
    from workbench.reports.plan_pdf import write_plan_pdf
    from workbench.services.plans import AccountLookupError, account_plan, find_account

    if getattr(args, "lang", None):
        from workbench.ui.i18n import set_language

        set_language(args.lang)
    try:
        store = open_store(db)
    except CommandError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    try:
        try:
            account_id, name = find_account(store, args.account)
        except AccountLookupError as exc:
            print(f"workbench: {exc}", file=sys.stderr)
            return 2
        data = account_plan(store, account_id, choices=False)
        if data.plan is None:
            print(f"workbench: {name} has no account plan yet", file=sys.stderr)
            return 2
        out: Path = args.out
        try:
            write_plan_pdf(data, out, client_safe=args.client_safe)
        except OSError as exc:
            print(f"workbench: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    finally:
        store.close()
    version = "client-safe" if args.client_safe else "internal"
    print(f"wrote the {version} plan {data.plan.period} of {name} to {out}")
    return 0
