"""An org chart drawn on a QGraphicsScene: cards top-down, bosses above their reports.

Why a scene and not widgets: an account may have 300 people; a card is one light item that
paints itself from precomputed text, the connector lines are one path, and the layout is one
pass over the tree (`layout_chart`, O(n)). A boss with only "leaf" reports stacks them in a
column under it, as paper org charts do, so a flat department does not become a mile-wide row.

Dragging a card onto another asks (signal `reports_to_requested`) for "this person reports to
that one"; the card always snaps back and the chart is redrawn from the database when the
change was made, so a refused change leaves nothing moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from workbench.domain.stakeholders import OrgTree
from workbench.ui.widgets.colours import AMBER, BLUE, GREEN, GREY, RED

CARD_W = 236.0
CARD_H = 96.0
H_GAP = 28.0  # between sibling blocks
V_GAP = 52.0  # between a boss and the row of reports
INDENT = 32.0  # a stacked column of reports sits this far right of the boss
STACK_GAP = 12.0
STACK_MIN = 3  # a boss with this many leaf reports (only) has them stacked under the card
STACK_MAX = 8  # at most this many cards in one stacked column
ROOT_GAP = 56.0
CAPTION_H = 30.0

STANCE_COLOURS = {"supporter": GREEN, "neutral": GREY, "skeptic": AMBER, "opponent": RED}
ROLE_COLOURS = {
    "decision_maker": "#5e35b1",
    "exec_sponsor": "#3949ab",
    "champion": "#00897b",
    "influencer": "#1e88e5",
    "finance_contact": "#6d4c41",
    "technical": "#546e7a",
    "blocker": "#c62828",
    "user": "#78909c",
}


# -- layout (no Qt) -----------------------------------------------------------------------------
@dataclass
class ChartLayout:
    """Top-left corner of each card, the connector segments, and the free-standing group."""

    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    segments: list[tuple[float, float, float, float]] = field(default_factory=list)
    caption_at: tuple[float, float] | None = None  # above the people without a boss link
    width: float = 0.0
    height: float = 0.0


def layout_chart(tree: OrgTree) -> ChartLayout:
    """Place every card of the forest; one post-order and one pre-order pass.

    A boss's reports who have no reports themselves ("leaves") are stacked in columns of at
    most STACK_MAX under a spine line; bosses among the reports get their own subtree block
    in the row. A boss with only a few leaves gets the column straight under their card.
    """
    order = list(tree.walk())
    width: dict[str, float] = {}
    height: dict[str, float] = {}
    anchor: dict[str, float] = {}  # x of the node's card inside its block
    offset: dict[str, tuple[float, float]] = {}  # a child's block inside its parent's block
    under: set[str] = set()  # bosses whose leaves hang straight under their card
    # Per boss: the row's connector points (x inside the block) and, for each stacked
    # column, its spine x and its leaves.
    drops: dict[str, list[float]] = {}
    columns: dict[str, list[tuple[float, tuple[str, ...]]]] = {}
    for node, _depth in reversed(order):
        kids = tree.reports_of(node)
        if not kids:
            width[node], height[node], anchor[node] = CARD_W, CARD_H, 0.0
            continue
        leaves = tuple(k for k in kids if not tree.reports_of(k))
        bosses = [k for k in kids if tree.reports_of(k)]
        if not bosses and STACK_MIN <= len(leaves) <= STACK_MAX:
            under.add(node)
            y = CARD_H + STACK_GAP * 2
            for k in leaves:
                offset[k] = (INDENT, y)
                y += CARD_H + STACK_GAP
            columns[node] = [(INDENT / 2, leaves)]
            width[node], height[node], anchor[node] = INDENT + CARD_W, y - STACK_GAP, 0.0
            continue
        units: list[str | tuple[str, ...]] = list(bosses)
        if len(leaves) >= 2:
            units.extend(leaves[i : i + STACK_MAX] for i in range(0, len(leaves), STACK_MAX))
        else:
            units[:0] = leaves
        x = 0.0
        points: list[float] = []
        stacks: list[tuple[float, tuple[str, ...]]] = []
        tallest = 0.0
        for unit in units:
            if isinstance(unit, str):
                offset[unit] = (x, CARD_H + V_GAP)
                points.append(x + anchor[unit] + CARD_W / 2)
                tallest = max(tallest, height[unit])
                x += width[unit] + H_GAP
                continue
            y = CARD_H + V_GAP + STACK_GAP
            for k in unit:
                offset[k] = (x + INDENT, y)
                y += CARD_H + STACK_GAP
            points.append(x + INDENT / 2)
            stacks.append((x + INDENT / 2, unit))
            tallest = max(tallest, y - STACK_GAP - CARD_H - V_GAP)
            x += INDENT + CARD_W + H_GAP
        centre = (points[0] + points[-1]) / 2
        anchor[node] = max(0.0, centre - CARD_W / 2)
        width[node] = max(x - H_GAP, anchor[node] + CARD_W)
        height[node] = CARD_H + V_GAP + tallest
        drops[node] = points
        columns[node] = stacks

    out = ChartLayout()
    trees = [r for r in tree.roots if tree.reports_of(r)]
    loners = [r for r in tree.roots if not tree.reports_of(r)]
    origin: dict[str, tuple[float, float]] = {}
    x = 0.0
    for root in trees:
        origin[root] = (x, 0.0)
        x += width[root] + ROOT_GAP
    for node, _depth in order:
        if node not in origin:
            continue  # a loner, placed below
        ox, oy = origin[node]
        px, py = ox + anchor[node], oy
        out.positions[node] = (px, py)
        kids = tree.reports_of(node)
        for k in kids:
            origin[k] = (ox + offset[k][0], oy + offset[k][1])
        if not kids:
            continue
        if node in under:
            top = py + CARD_H
        else:
            bar = py + CARD_H + V_GAP / 2
            xs = [ox + p for p in drops[node]]
            mid = px + CARD_W / 2
            out.segments.append((mid, py + CARD_H, mid, bar))
            out.segments.append((min([mid, *xs]), bar, max([mid, *xs]), bar))
            for c in xs:
                out.segments.append((c, bar, c, py + CARD_H + V_GAP))
            top = py + CARD_H + V_GAP
        for spine, leaves in columns[node]:
            sx = (px if node in under else ox) + spine
            last_mid = origin[leaves[-1]][1] + CARD_H / 2
            out.segments.append((sx, top, sx, last_mid))
            for k in leaves:
                mid_y = origin[k][1] + CARD_H / 2
                out.segments.append((sx, mid_y, origin[k][0], mid_y))
    trees_width = x - ROOT_GAP if trees else 0.0
    trees_height = max((height[r] for r in trees), default=0.0)
    if loners:
        if trees:
            grid = min(len(loners), max(2, math.ceil(math.sqrt(len(loners)))))
            gx = trees_width + ROOT_GAP
        else:
            grid = max(1, min(len(loners), math.ceil(math.sqrt(len(loners) * 2.5))))
            gx = 0.0
        gy = CAPTION_H
        out.caption_at = (gx, 0.0)
        for i, node in enumerate(loners):
            row, col = divmod(i, grid)
            out.positions[node] = (gx + col * (CARD_W + H_GAP), gy + row * (CARD_H + STACK_GAP))
        rows = math.ceil(len(loners) / grid)
        out.width = gx + grid * (CARD_W + H_GAP) - H_GAP
        out.height = max(trees_height, gy + rows * (CARD_H + STACK_GAP) - STACK_GAP)
    else:
        out.width, out.height = trees_width, trees_height
    return out


# -- what a card shows ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CardFace:
    """The text and cues of one card, prepared by the dock (translated, formatted)."""

    contact_id: str
    name: str
    title: str
    role: str  # stored value, for the badge colour
    role_label: str
    stance: str
    stance_label: str
    influence: int
    strength: int
    strength_label: str
    colleague: str  # "" when nobody on our side is named
    flag: str = ""  # a coverage gap about this person, short ("203 d", "never met"): a pill
    tooltip: str = ""


def _fonts() -> tuple[QFont, QFont, QFont]:
    base = QFont(QApplication.font())
    bold = QFont(base)
    bold.setWeight(QFont.Weight.DemiBold)
    bold.setPointSizeF(base.pointSizeF() * 1.04)
    small = QFont(base)
    small.setPointSizeF(max(6.5, base.pointSizeF() * 0.9))
    badge = QFont(small)
    badge.setPointSizeF(max(6.0, base.pointSizeF() * 0.8))
    badge.setWeight(QFont.Weight.DemiBold)
    return bold, small, badge


_METRICS: dict[str, QFontMetricsF] = {}


def _metrics(font: QFont) -> QFontMetricsF:
    """Metrics of a card font, made once per font rather than per card and per paint."""
    found = _METRICS.get(font.key())
    if found is None:
        found = _METRICS[font.key()] = QFontMetricsF(font)
    return found


class CardItem(QGraphicsItem):
    """One person: stance stripe and tint, name, title, role badge, influence dots and our
    relationship. Drag it onto another card to say whom they report to."""

    PAD = 10.0

    def __init__(self, face: CardFace, fonts: tuple[QFont, QFont, QFont]) -> None:
        super().__init__()
        self.face = face
        self.contact_id = face.contact_id
        self._fonts = fonts
        self._origin = QPointF()
        self._press = QPointF()
        self._dragging = False
        self.highlight = ""  # "" | "ok" | "refused": the card is the target of a drag
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip(face.tooltip)
        self._texts: tuple[str, str, str, float, float] | None = None

    def texts(self) -> tuple[str, str, str, float, float]:
        """(name, title, colleague line, badge width, flag width), elided to fit the card.

        Worked out on first paint, not when the card is made: a chart of 300 people builds
        every card but paints the few on screen, and eliding was most of a card's making.
        """
        if self._texts is None:
            face = self.face
            fm_bold, fm_small, fm_badge = (_metrics(f) for f in self._fonts)
            inner = CARD_W - 2 * self.PAD - 6
            flag_w = fm_badge.horizontalAdvance(face.flag) + 12 if face.flag else 0.0
            self._texts = (
                fm_bold.elidedText(face.name, Qt.TextElideMode.ElideRight, inner - flag_w - 4),
                fm_small.elidedText(face.title or "—", Qt.TextElideMode.ElideRight, inner),
                fm_small.elidedText(
                    f"{face.strength_label} · {face.colleague or '—'}",
                    Qt.TextElideMode.ElideRight,
                    inner - 42,
                ),
                fm_badge.horizontalAdvance(face.role_label) + 14,
                flag_w,
            )
        return self._texts

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, CARD_W + 4, CARD_H + 4)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        face = self.face
        palette = QApplication.palette()
        text = palette.color(QPalette.ColorRole.Text)
        muted = QColor(palette.color(QPalette.ColorRole.PlaceholderText))
        if not muted.isValid() or muted == text:
            muted = QColor(GREY)
        stance = QColor(STANCE_COLOURS.get(face.stance, GREY))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, CARD_W, CARD_H)
        path = QPainterPath()
        path.addRoundedRect(rect, 7, 7)
        base = QColor(palette.color(QPalette.ColorRole.Base))
        tint = QColor(stance)
        tint.setAlpha(26)
        painter.fillPath(path, base)
        painter.fillPath(path, tint)
        border = QColor(stance)
        border.setAlpha(150)
        width = 1.2
        if self.isSelected():
            border, width = QColor(BLUE), 2.4
        if self.highlight:
            border, width = QColor(GREEN if self.highlight == "ok" else RED), 3.0
        painter.setPen(QPen(border, width))
        painter.drawPath(path)
        stripe = QPainterPath()
        stripe.addRoundedRect(QRectF(0, 0, 7, CARD_H), 3.5, 3.5)
        painter.fillPath(stripe, stance)

        bold, small, badge = self._fonts
        name, title, who, badge_w, flag_w = self.texts()
        x = self.PAD + 6
        painter.setFont(bold)
        painter.setPen(text)
        fm_bold = _metrics(bold)
        y = self.PAD + fm_bold.ascent()
        painter.drawText(QPointF(x, y), name)
        painter.setFont(small)
        fm_small = _metrics(small)
        painter.setPen(muted)
        y += fm_small.height() + 2
        painter.drawText(QPointF(x, y), title)

        # role badge and influence dots
        by = y + 7
        bh = _metrics(badge).height() + 3
        pill = QPainterPath()
        pill.addRoundedRect(QRectF(x, by, badge_w, bh), bh / 2, bh / 2)
        painter.fillPath(pill, QColor(ROLE_COLOURS.get(face.role, GREY)))
        painter.setFont(badge)
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(x, by, badge_w, bh), Qt.AlignmentFlag.AlignCenter, face.role_label)
        painter.setPen(Qt.PenStyle.NoPen)
        dot, gap = 7.0, 4.0
        dx = CARD_W - self.PAD - 5 * dot - 4 * gap
        for i in range(5):
            colour = QColor(text) if i < face.influence else QColor(muted)
            if i >= face.influence:
                colour.setAlpha(70)
            painter.setBrush(colour)
            painter.drawEllipse(QRectF(dx + i * (dot + gap), by + (bh - dot) / 2, dot, dot))

        # relationship strength (four bars) and our colleague
        ry = CARD_H - self.PAD - 10
        for i in range(4):
            colour = QColor(BLUE) if i < face.strength else QColor(muted)
            if i >= face.strength:
                colour.setAlpha(70)
            painter.setBrush(colour)
            bar_h = 4 + i * 2
            painter.drawRoundedRect(QRectF(x + i * 6, ry + 10 - bar_h, 4, bar_h), 1, 1)
        painter.setFont(small)
        painter.setPen(text if face.colleague else muted)
        painter.drawText(QPointF(x + 28, ry + 9), who)

        if face.flag:
            flag = QRectF(CARD_W - self.PAD - flag_w, self.PAD - 1, flag_w, bh)
            pill = QPainterPath()
            pill.addRoundedRect(flag, bh / 2, bh / 2)
            painter.fillPath(pill, QColor(AMBER))
            painter.setFont(badge)
            painter.setPen(QColor("white"))
            painter.drawText(flag, Qt.AlignmentFlag.AlignCenter, face.flag)

    # -- dragging ---------------------------------------------------------------------------------
    def _chart(self) -> OrgChartScene | None:
        scene = self.scene()
        return scene if isinstance(scene, OrgChartScene) else None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._origin = self.pos()
            self._press = event.scenePos()
            self._dragging = False
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if not event.buttons() & Qt.MouseButton.LeftButton:
            return
        delta = event.scenePos() - self._press
        if not self._dragging and delta.manhattanLength() < QApplication.startDragDistance():
            return
        self._dragging = True
        self.setZValue(10)
        self.setOpacity(0.85)
        self.setPos(self._origin + delta)
        chart = self._chart()
        if chart is not None:
            chart.hover_target(self, event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        if self._dragging:
            self._dragging = False
            self.setPos(self._origin)  # always back; a made change redraws the chart
            self.setZValue(0)
            self.setOpacity(1.0)
            chart = self._chart()
            if chart is not None:
                chart.drop(self, event.scenePos())
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        chart = self._chart()
        if chart is not None:
            chart.card_activated.emit(self.contact_id)

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        chart = self._chart()
        if chart is not None:
            self.scene().clearSelection()
            self.setSelected(True)
            chart.context_requested.emit(self.contact_id, event.screenPos())


class OrgChartScene(QGraphicsScene):
    card_activated = Signal(str)  # contact id: edit it
    reports_to_requested = Signal(str, str)  # (person, new boss), both contact ids
    context_requested = Signal(str, object)  # contact id, screen QPoint

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, CardItem] = {}
        self._target: CardItem | None = None
        # Says whether a drop would be accepted, to colour the target while dragging.
        self.can_drop: Callable[[str, str], bool] = lambda _person, _boss: True

    def card_at(self, point: QPointF, exclude: CardItem | None = None) -> CardItem | None:
        for item in self.items(point):
            if isinstance(item, CardItem) and item is not exclude:
                return item
        return None

    def hover_target(self, dragged: CardItem, point: QPointF) -> None:
        target = self.card_at(point, dragged)
        if target is not self._target:
            if self._target is not None:
                self._target.highlight = ""
                self._target.update()
            self._target = target
        if target is not None:
            ok = self.can_drop(dragged.contact_id, target.contact_id)
            target.highlight = "ok" if ok else "refused"
            target.update()

    def drop(self, dragged: CardItem, point: QPointF) -> None:
        """A card was let go at `point`: onto another card asks for the reports-to link;
        onto empty space nothing happens."""
        if self._target is not None:
            self._target.highlight = ""
            self._target.update()
            self._target = None
        target = self.card_at(point, dragged)
        if target is not None:
            self.reports_to_requested.emit(dragged.contact_id, target.contact_id)


class OrgChartView(QGraphicsView):
    """The scene in a view: Ctrl+wheel zooms, dragging the background pans, `fit()` fits."""

    MIN_SCALE = 0.15
    MAX_SCALE = 2.5

    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart = OrgChartScene()
        self.setScene(self.chart)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setBackgroundBrush(QBrush(QApplication.palette().color(QPalette.ColorRole.Window)))
        self.layout_info = ChartLayout()
        self._lines: QGraphicsPathItem | None = None

    # -- content --------------------------------------------------------------------------------
    def show_chart(self, tree: OrgTree, faces: Sequence[CardFace], caption: str) -> None:
        """Draw `faces` placed by `tree`; keeps the zoom the user chose, if any."""
        scene = self.chart
        scene.clear()
        scene.cards = {}
        scene._target = None
        info = layout_chart(tree)
        self.layout_info = info
        fonts = _fonts()
        path = QPainterPath()
        for x1, y1, x2, y2 in info.segments:
            path.moveTo(x1, y1)
            path.lineTo(x2, y2)
        line_colour = QColor(QApplication.palette().color(QPalette.ColorRole.Mid))
        self._lines = scene.addPath(path, QPen(line_colour, 1.4))
        self._lines.setZValue(-1)
        for face in faces:
            where = info.positions.get(face.contact_id)
            if where is None:
                continue
            card = CardItem(face, fonts)
            card.setPos(*where)
            scene.addItem(card)
            scene.cards[face.contact_id] = card
        if info.caption_at is not None and caption:
            label = QGraphicsSimpleTextItem(caption)
            label.setBrush(QColor(GREY))
            label.setPos(info.caption_at[0], info.caption_at[1] + 4)
            scene.addItem(label)
        margin = 24.0
        scene.setSceneRect(
            QRectF(-margin, -margin, info.width + 2 * margin, info.height + 2 * margin)
        )

    def card(self, contact_id: str) -> CardItem | None:
        return self.chart.cards.get(contact_id)

    def selected_contact(self) -> str | None:
        for item in self.chart.selectedItems():
            if isinstance(item, CardItem):
                return item.contact_id
        return None

    def select_card(self, contact_id: str) -> bool:
        """Select this person's card alone, scroll it to the middle and focus the chart."""
        card = self.card(contact_id)
        if card is None:
            return False
        self.chart.clearSelection()
        card.setSelected(True)
        self.centerOn(card)
        self.setFocus()
        return True

    # -- zoom ------------------------------------------------------------------------------------
    def zoom(self) -> float:
        return float(self.transform().m11())

    def set_zoom(self, value: float) -> None:
        value = max(self.MIN_SCALE, min(self.MAX_SCALE, value))
        factor = value / self.zoom()
        self.scale(factor, factor)
        self.zoom_changed.emit(self.zoom())

    def fit(self, *, max_scale: float = 1.0, min_scale: float = MIN_SCALE) -> None:
        """Fit the whole chart in view, never larger than `max_scale`."""
        rect = self.chart.sceneRect()
        if rect.isEmpty():
            return
        view = self.viewport().rect()
        scale = min(view.width() / rect.width(), view.height() / rect.height())
        self.resetTransform()
        self.set_zoom(max(min_scale, min(max_scale, scale)))
        self.centerOn(rect.center().x(), rect.top() + view.height() / 2 / self.zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            self.set_zoom(self.zoom() * (1.15**steps))
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
                self.set_zoom(self.zoom() * 1.15)
                return
            if event.key() == Qt.Key.Key_Minus:
                self.set_zoom(self.zoom() / 1.15)
                return
            if event.key() == Qt.Key.Key_0:
                self.fit()
                return
        super().keyPressEvent(event)
