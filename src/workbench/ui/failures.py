"""Why a write from a dock was not saved, said in the status bar in the user's language."""

from __future__ import annotations

from collections.abc import Callable

from workbench.domain.errors import ValidationError
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.widgets.form import error_text


def failure_text(exc: BaseException) -> str:
    """A refused input as its translated messages; anything else as it reads."""
    if isinstance(exc, ValidationError):
        return "; ".join(error_text(e) for e in exc.errors)
    return str(exc)


def not_saved(ctx: AppContext) -> Callable[[BaseException], None]:
    """The failure handler of a dock's writes: "Not saved: <why>" in the status bar."""

    def failed(exc: BaseException) -> None:
        ctx.hub.status.emit(tr("Not saved: {reason}", reason=failure_text(exc)))

    return failed
