"""A table that renders only the lines on screen, for the profile browser.

Textual's DataTable keeps every row's cells and rebuilds its caches when one cell changes, so a browser of 2000
profiles paid for 2000 rows on every reload and every countdown tick. This one (Textual's Line API) holds only
the row keys; it asks its owner for a row's cells when that row is painted, so a keypress repaints two lines, a
tick the cells that changed, and a reload what is on screen. Each row's painted line is kept and handed to
Textual as it is (own_lines): the table draws no border or padding of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from coderclaw_tui.widgets.own_lines import FinishedLines

Cell = Text | str
CELL_PADDING = 1
"""Spaces on each side of a cell, as DataTable has them."""
LINES_KEPT = 2000
"""Painted lines kept for scrolling back over (a few pages of them; dropped all at once past this)."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


class ProfileTable(ScrollView, can_focus=True):
    """Rows by key, a header that stays put, a row cursor, zebra stripes; cells come from `cells_of(key)`."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Cursor up", show=False),
        Binding("down", "cursor(1)", "Cursor down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First row", show=False),
        Binding("end,ctrl+end", "last", "Last row", show=False),
    ]
    COMPONENT_CLASSES = {
        "profile-table--header",
        "profile-table--cursor",
        "profile-table--even-row",
        "profile-table--odd-row",
    }
    DEFAULT_CSS = """
    ProfileTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .profile-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .profile-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .profile-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .profile-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .profile-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .profile-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .profile-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    def __init__(
        self,
        cells_of: Callable[[str], Mapping[str, Cell]],
        on_cursor: Callable[[], None],
        *,
        id: str | None = None,
    ) -> None:
        """`on_cursor()` is called as the cursor lands on another row (or the rows under it change), in the
        same handler: what it repaints goes out in the frame that moves the cursor, not in one after it."""
        super().__init__(id=id)
        self._finished = FinishedLines()
        self.cells_of = cells_of
        self.on_cursor = on_cursor
        self.columns: tuple[Column, ...] = ()
        self.keys: list[str] = []
        self._index: dict[str, int] = {}
        self.cursor_row = 0
        self._lines: dict[tuple[str, bool], tuple[tuple[object, ...], Strip]] = {}
        """Each row's last painted line, off the cursor and on it (a cursor move repaints one row each way), with
        what it was painted for (stripe, styles, scroll, width)."""
        self._styles = _Styles(Style.null(), Style.null(), (Style.null(), Style.null()), Style.null(), Style.null())
        self._styles_for: tuple[object, ...] = ()
        self._cell_styles: dict[tuple[Style, str, Style], Style] = {}
        self._background = Color(0, 0, 0)
        self._header: tuple[object, Strip] | None = None
        """The header as last painted, with what it was painted for (columns, scroll, width)."""
        self._blank = Strip.blank(0)
        """The line under the last row, as last painted."""
        self._view = (0, 0, 0)
        """The scroll offset (x, y) and the width of the rows, as of the paint under way."""
        self.painted: dict[str, Mapping[str, Cell]] = {}
        """The cells each row was last painted with (rows that have been on screen): what the user sees."""

    # What is shown

    @property
    def row_count(self) -> int:
        return len(self.keys)

    @property
    def cursor_key(self) -> str | None:
        return self.keys[self.cursor_row] if self.keys else None

    def set_columns(self, columns: Sequence[Column]) -> None:
        if tuple(columns) != self.columns:
            self.columns = tuple(columns)
            self._lines.clear()
            self._resize_virtual()
            self.refresh()

    def set_rows(self, keys: Sequence[str]) -> None:
        """New rows; the cursor stays on its row when that row is still there, else at the same index."""
        previous = self.cursor_key
        self.keys = list(keys)
        self._lines.clear()
        self._index = {key: index for index, key in enumerate(self.keys)}
        self.painted = {key: cells for key, cells in self.painted.items() if key in self._index}
        kept = self._index.get(previous) if previous is not None else None
        self._resize_virtual()
        self.refresh()
        self.move_cursor(kept if kept is not None else self.cursor_row, announce=True)

    def refresh_keys(self, keys: Sequence[str]) -> None:
        """Repaint these rows' lines, those that are on screen."""
        for key in keys:
            self._lines.pop((key, False), None)
            self._lines.pop((key, True), None)
        self._refresh_rows(*(index for index in map(self._index.get, keys) if index is not None))

    def visible_range(self) -> tuple[int, int]:
        """[first, last) of the rows on screen."""
        top = int(self.scroll_offset.y)
        return top, min(len(self.keys), top + self._page_rows())

    def get_cell(self, key: str, column: str) -> Cell:
        """The cell as last painted."""
        return self.painted[key][column]

    # The cursor

    def move_cursor(self, row: int, *, announce: bool = False) -> None:
        """Put the cursor on `row` (clamped), scroll it into sight, repaint the two lines that changed."""
        before = self.cursor_row
        self.cursor_row = max(0, min(row, len(self.keys) - 1)) if self.keys else 0
        if self.cursor_row != before:
            self._refresh_rows(before, self.cursor_row)
        self._scroll_to_cursor()
        if announce or self.cursor_row != before:
            self.on_cursor()

    def action_cursor(self, offset: int) -> None:
        self.move_cursor(self.cursor_row + offset)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self._page_rows() - 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.keys) - 1)

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = int(self.scroll_offset.y) + offset.y - 1
        if row < len(self.keys):
            self.move_cursor(row)

    def _page_rows(self) -> int:
        return max(0, self.scrollable_content_region.height - 1)  # 1: the header

    def _scroll_to_cursor(self) -> None:
        """A cursor that leaves the screen is brought back to the middle of it (half a page of rows before and
        after it in sight): a scroll repaints every line on screen and the scrollbar, so walking the rows
        scrolls once per half page rather than on every key."""
        top, rows = int(self.scroll_offset.y), self._page_rows()
        if rows == 0 or top <= self.cursor_row < top + rows:
            return
        self.scroll_to(y=max(0, self.cursor_row - rows // 2), animate=False, immediate=True)

    def _refresh_rows(self, *indexes: int) -> None:
        """Repaint the lines of these rows that are on screen, in one refresh (each costs a walk of the layout)."""
        region = self.scrollable_content_region  # not the scrollbar: nothing on it changed
        top, width, height = int(self.scroll_offset.y), region.width, region.height
        lines = sorted({y for y in (index - top + 1 for index in indexes) if 1 <= y < height})  # 0: the header
        if lines:
            self.refresh(*(Region(0, y, width, 1) for y in lines))

    def _resize_virtual(self) -> None:
        width = sum(column.width + 2 * CELL_PADDING for column in self.columns)
        self.virtual_size = Size(width, len(self.keys) + 1)

    class Resized(Message):
        """The table's size changed (its first layout included): whether the rows need a scrollbar may have."""

    def on_resize(self) -> None:
        self._scroll_to_cursor()
        self.post_message(self.Resized())

    # Painting

    def forget_lines(self) -> None:
        """Drop the painted lines kept for scrolling back to rows off screen: the owner's cells are as of another
        moment now. The rows on screen keep theirs (each frame hands Textual every line on screen): the owner
        repaints those whose cells changed (`refresh_keys`)."""
        first, last = self.visible_range()
        lines = ((key, on_cursor) for key in self.keys[first:last] for on_cursor in (False, True))
        self._lines = {line: self._lines[line] for line in lines if line in self._lines}  # not a walk of them all

    def notify_style_update(self) -> None:
        self._styles_for = ()  # the base style is looked up again only after Textual says it may have changed
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        """The styles are worked out once per change of style or state (focus, theme), not once per paint: the
        base style walks every ancestor's styles, a quarter of repainting the table when the cursor moves. The
        scroll offset and the width are read once per paint, not once per line (each walks the box model)."""
        state = (self.get_pseudo_class_state(), self.app.theme)
        if state != self._styles_for:
            self._styles_for = state
            self._cell_styles.clear()
            self._header, self._blank = None, Strip.blank(0)
            self._background = self.background_colors[1]
            base = self.rich_style
            style = self.get_component_rich_style
            cursor = style("profile-table--cursor")
            self._styles = _Styles(
                base,
                base + style("profile-table--header"),
                (base + style("profile-table--even-row"), base + style("profile-table--odd-row")),
                cursor,
                Style.from_color(color=cursor.color, bgcolor=cursor.bgcolor),
            )
        offset = self.scroll_offset
        self._view = (int(offset.x), int(offset.y), self.scrollable_content_region.width)
        lines = [self.render_line(y) for y in crop.line_range]
        return self._finished(self, lines, crop, self._background)

    def render_line(self, y: int) -> Strip:
        x, top, width = self._view
        styles = self._styles
        if y == 0:
            context = (self.columns, x, width)
            if self._header is None or self._header[0] != context:
                labels = {column.key: column.label for column in self.columns}
                self._header = (context, self._line(labels, styles.header, Style.null(), x, width))
            return self._header[1]
        index = top + y - 1
        if index >= len(self.keys):
            if self._blank.cell_length != width:
                self._blank = Strip.blank(width, styles.base)
            return self._blank
        key, on_cursor = self.keys[index], index == self.cursor_row
        context = (index % 2, styles, x, width)
        kept = self._lines.get((key, on_cursor))
        if kept is not None and kept[0] == context:
            return kept[1]
        pre, post = styles.stripes[index % 2], Style.null()
        if on_cursor:
            pre, post = pre + styles.cursor, styles.cursor_colors
        cells = self.painted[key] = self.cells_of(key)
        line = self._line(cells, pre, post, x, width)
        if len(self._lines) > LINES_KEPT:
            self._lines.clear()
        self._lines[key, on_cursor] = (context, line)
        return line

    def _line(self, cells: Mapping[str, Cell], pre: Style, post: Style, x: int, width: int) -> Strip:
        """One row, cells `x` to `x + width`: each cell cut or padded to its column, with a space either side.
        Unscrolled and no wider than the table (as it is laid out to be), the line is made at its width in one
        Strip: Textual's cropping and padding make two more, and each Strip starts seven caches."""
        segments: list[Segment] = []
        pad = " " * CELL_PADDING
        length = sum(column.width + 2 * CELL_PADDING for column in self.columns)
        for column in self.columns:
            value = cells.get(column.key, "")
            if isinstance(value, Text) and value.spans:
                text = value.copy()
                text.truncate(column.width, overflow="ellipsis", pad=True)
                text.pad(CELL_PADDING)
                segments.extend(Segment.apply_style(text.render(self.app.console), pre, post))
                continue
            own = str(value.style) if isinstance(value, Text) else ""
            plain = pad + set_cell_size(str(value), column.width) + pad
            segments.append(Segment(plain, self._cell_style(pre, own, post)))
        if x == 0 and length <= width:
            if length < width:
                segments.append(Segment(" " * (width - length), self._cell_style(pre, "", post)))
            return Strip(segments, width)
        return Strip(segments, length).crop_extend(x, x + width, self._cell_style(pre, "", post))

    def _cell_style(self, pre: Style, own: str, post: Style) -> Style:
        """`pre + own + post`, added up once per paint style (each sum merges a dozen attributes, and a line
        has a cell per column)."""
        key = (pre, own, post)
        style = self._cell_styles.get(key)
        if style is None:
            style = self._cell_styles[key] = pre + Style.parse(own) + post
        return style


@dataclass(frozen=True)
class _Styles:
    base: Style
    header: Style
    stripes: tuple[Style, Style]
    cursor: Style
    cursor_colors: Style
    """The cursor's colours win over a cell's own (a red state on the cursor row is drawn in the cursor's)."""
