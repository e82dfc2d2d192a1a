"""Needs attention dock: changes the server refused, with its reason and the user's values.

Why the values stay visible: a refused change is typed work (SYNC.md §1.1, state d). The list
shows what was changed, why the server said no and when; the tooltip holds every value in full.
"Re-apply as new edit" writes the values again as a fresh local edit on top of what the records
hold now (the usual answer to a concurrent finance edit); "Dismiss" lets the change go but keeps
the item in the database. Work runs on the database worker; the list reloads after each sync.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QVBoxLayout

from workbench.domain.changes import ChangeSet
from workbench.services.sync_inbox import (
    AttentionItem,
    AttentionOp,
    reason_text,
    record_ids,
    touches_inbox,
    without_inbox,
)
from workbench.ui.context import AppContext
from workbench.ui.docks.conflicts import (
    KeyActions,
    button,
    failure_text,
    field_label,
    fit_columns,
    full_text,
    hint_label,
    record_text,
    select_id,
    select_row,
    selected_row,
    set_empty_text,
    table_label,
    value_text,
    when_text,
)
from workbench.ui.i18n import tr
from workbench.ui.models.columns import Column
from workbench.ui.models.styled import Look, StyledRowsModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.colours import AMBER, GREY, RED
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.list_parts import count_line
from workbench.ui.widgets.two_line import sorted_view, two

# Reasons that need the user to act before a re-apply can succeed are shown in red.
_BLOCKING = frozenset({"no_access", "server_only_field", "unknown_table", "unknown_field"})
_NAME_FIELDS = frozenset({"family_name", "middle_name", "given_name", "name_order", "name"})


def op_values(op: AttentionOp, item: AttentionItem, *, full: bool = False) -> list[str]:
    """ "City: Cần Thơ"-style parts of one op (deletes and restores in a word)."""
    if op.op == "delete":
        return [tr("Deleted")]
    if op.op == "restore":
        return [tr("Restored")]
    show = full_text if full else value_text
    # A record no longer here is labelled by the name it carried: the one-line summary need
    # not repeat that name's parts.
    skip = set() if full or op.exists else _NAME_FIELDS
    return [
        f"{field_label(k)}: {show(v, k, item.refs)}"
        for k, v in op.fields.items()
        if full or (v not in (None, "") and k not in skip)
    ]


def records_text(item: AttentionItem) -> str:
    """The records a change is about: "Đặng Gia", or "Đặng Gia +2 more"."""
    names = list(dict.fromkeys(record_text(op.table, op.row_id, op.record) for op in item.ops))
    if not names:
        return tr("(no records)")
    if len(names) == 1:
        return names[0]
    return tr("{name} +{n} more", name=names[0], n=len(names) - 1)


def values_text(item: AttentionItem) -> str:
    return " · ".join(part for op in item.ops for part in op_values(op, item))


def full_tooltip(item: AttentionItem) -> str:
    """Everything the change held, record by record, value by value, and why it was refused."""
    lines = [reason_line(item)]
    if item.detail:
        lines.append(item.detail)
    for op in item.ops:
        gone = "" if op.exists else " " + tr("(no longer on this device)")
        lines.append("")
        lines.append(
            f"{table_label(op.table)} · {record_text(op.table, op.row_id, op.record)}{gone}"
        )
        lines.extend(f"    {part}" for part in op_values(op, item, full=True))
    made = when_text(item.made_at)
    if made:
        lines.append("")
        lines.append(tr("Edited {when}; refused {refused}", when=made, refused=answered(item)))
    return "\n".join(lines)


def reason_line(item: AttentionItem) -> str:
    return tr(reason_text(item.reason))


def answered(item: AttentionItem) -> str:
    return when_text(item.created_at) or when_text(item.made_at)


COLUMNS = [
    Column(
        "change",
        "Change",
        lambda i: two(records_text(i), values_text(i)),
        tooltip=full_tooltip,
    ),
    Column(
        "reason",
        "Why",
        lambda i: two(reason_line(i), i.detail),
        tooltip=full_tooltip,
        width=240,
    ),
    Column(
        "when",
        "When",
        lambda i: when_text(i.made_at) or answered(i),
        tooltip=full_tooltip,
        width=110,
    ),
]

LOOKS = {
    "reason": Look(foreground=lambda i: RED if i.reason in _BLOCKING else AMBER),
    "when": Look(foreground=lambda _i: GREY),
}


class AttentionPanel(Panel):
    """Refused changes, newest first: re-apply as a new edit, or dismiss."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.items: list[AttentionItem] = []
        self._record_ids: frozenset[str] = frozenset()
        self._generation = 0
        self._acting = False
        self._loaded_once = False
        self._select_row_after_load = -1
        self.model = StyledRowsModel(COLUMNS, LOOKS)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        self.hint = hint_label(
            "attention.hint",
            tr(
                "The server refused these changes. Your values are kept here: apply them again "
                "as a new edit, or dismiss them."
            ),
        )
        layout.addWidget(self.hint)
        self.stack = QStackedWidget()
        self.view = sorted_view(self.model, [240, 110])
        self.view.setObjectName("attention.table")
        fit_columns(self.view, (0, 1), {2: 110})
        self.empty = empty_label("attention.empty", rich=True)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.reapply_button = button(
            tr("Re-apply as new edit"),
            "attention.reapply",
            tr("Write these values again, on top of what the records hold now (R)"),
            self.reapply,
        )
        self.dismiss_button = button(
            tr("Dismiss"),
            "attention.dismiss",
            tr("Let this change go; it stays on record (D)"),
            self.dismiss,
        )
        bar.addWidget(self.reapply_button)
        bar.addWidget(self.dismiss_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.count_label = count_line("attention.count")
        layout.addWidget(self.count_label)

        KeyActions(
            self.view, {Qt.Key.Key_R: self.reapply_button, Qt.Key.Key_D: self.dismiss_button}
        )
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        ctx.hub.sync_finished.connect(lambda _report: self.request_reload())
        self._show_state()

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        from workbench.services.sync_inbox import attention_items

        self._generation += 1
        generation = self._generation
        self.run(
            "attention",
            lambda store, _c: attention_items(store),
            lambda items: self._loaded(generation, items),
        )

    def _loaded(self, generation: int, items: list[AttentionItem]) -> None:
        if generation != self._generation:
            return
        keep = self.selected()
        self.items = items
        self._record_ids = record_ids(items)
        self._loaded_once = True
        self.model.set_rows(items)
        if self._select_row_after_load >= 0:
            select_row(self.view, self._select_row_after_load)
            self._select_row_after_load = -1
        elif keep is not None and select_id(self.view, self.model, str(keep.id)):
            pass
        elif items and not self.view.selectionModel().hasSelection():
            select_row(self.view, 0)
        self._show_state()

    def affected_by(self, changes: ChangeSet) -> bool:
        if touches_inbox(changes) or changes.touches("users"):
            return True
        return any(r.row_id in self._record_ids for r in changes.rows)

    def _show_state(self) -> None:
        n = len(self.items)
        set_empty_text(
            self.empty,
            tr("Nothing needs attention — the server accepted every change")
            if self._loaded_once
            else "",
        )
        self.stack.setCurrentIndex(0 if n else 1)
        self.hint.setVisible(bool(n))
        self.reapply_button.setVisible(bool(n))
        self.dismiss_button.setVisible(bool(n))
        self.count_label.setText(
            ""
            if not n
            else tr("1 change needs attention")
            if n == 1
            else tr("{n} changes need attention", n=n)
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.selected()
        idle = item is not None and not self._acting
        self.dismiss_button.setEnabled(idle)
        can = idle and item is not None and item.can_reapply
        self.reapply_button.setEnabled(can)
        if item is not None and not item.can_reapply:
            self.reapply_button.setToolTip(
                tr("The server would refuse these values again: {reason}", reason=reason_line(item))
            )
        else:
            self.reapply_button.setToolTip(
                tr("Write these values again, on top of what the records hold now (R)")
            )

    # -- selection ---------------------------------------------------------------------------
    def selected(self) -> AttentionItem | None:
        row = selected_row(self.view)
        return row if isinstance(row, AttentionItem) else None

    def select_item(self, attention_id: int) -> bool:
        return select_id(self.view, self.model, str(attention_id))

    # -- commands ----------------------------------------------------------------------------
    def _act(
        self,
        name: str,
        fn: Callable[[Any, int], ChangeSet],
        message: str,
        undo_label: str | None = None,
    ) -> None:
        item = self.selected()
        if item is None or self._acting:
            return
        position = self.view.currentIndex().row()
        self._acting = True
        self._update_buttons()

        def done(changes: ChangeSet) -> None:
            self._acting = False
            undoable = without_inbox(changes)
            if undo_label is not None and not undoable.empty:
                self.ctx.undo.push(undo_label, undoable)
            self._select_row_after_load = max(position, 0)
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(message)
            self._update_buttons()

        def failed(exc: BaseException) -> None:
            self._acting = False
            self._update_buttons()
            self.ctx.hub.status.emit(failure_text(exc, tr("Re-applying the change")))
            self.request_reload()

        self.run(name, lambda store, _c: fn(store, item.id), done, failed)

    def reapply(self) -> None:
        from workbench.services.sync_inbox import reapply

        item = self.selected()
        if item is None or not item.can_reapply:
            return
        name = records_text(item)
        self._act(
            "reapply",
            reapply,
            tr("Applied the change to {name} again; it goes out with the next sync.", name=name),
            tr("re-apply {name}", name=name),
        )

    def dismiss(self) -> None:
        from workbench.services.sync_inbox import dismiss

        item = self.selected()
        if item is None:
            return
        self._act(
            "dismiss",
            dismiss,
            tr("Dismissed the change to {name}.", name=records_text(item)),
        )

    def archive_item(self) -> None:
        """Ctrl+Delete in this dock: dismiss (the item is kept on record, never deleted)."""
        self.dismiss()
