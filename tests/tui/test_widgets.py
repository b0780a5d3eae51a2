"""The wizard's own widgets: a countdown driven by an injected clock, a paste field that keeps wrapped pastes
whole and types every printable key (even one the app binds), and a URL that stays one link however it wraps."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.filter import LineFilter
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static
from wizard_helpers import FakeClock, wait_for

from coderclaw_tui.terminal_safe import TERMINAL_SAFE
from coderclaw_tui.widgets.countdown import Countdown, format_left
from coderclaw_tui.widgets.paste_input import PasteInput, join_wrapped
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.profile_table import Column, ProfileTable
from coderclaw_tui.widgets.rule_line import RuleLine
from coderclaw_tui.widgets.steady_footer import SteadyFooter
from coderclaw_tui.widgets.text_lines import TextLines
from coderclaw_tui.widgets.url_link import UrlLink

URL = "http://127.0.0.1:9/oauth/authorize?" + "&".join(f"p{i}=value{i}" for i in range(30))


class Harness(App[None]):
    BINDINGS = [Binding("c", "copy", "Copy"), Binding("enter", "submit", "Submit")]

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.expired = 0
        self.copies = 0
        self.submits = 0

    def compose(self) -> ComposeResult:
        yield Countdown(self.clock, int((self.clock() + 65) * 1000), template="left {left}", id="countdown")
        yield PasteInput(id="paste")
        yield UrlLink(URL, id="url")

    def on_countdown_expired(self) -> None:
        self.expired += 1

    def action_copy(self) -> None:
        self.copies += 1

    def action_submit(self) -> None:
        self.submits += 1


def test_format_left() -> None:
    assert [format_left(ms) for ms in (0, 59_999, 65_000, 3_599_000, 3_600_000, 3 * 86_400_000)] == [
        "0:00",
        "0:59",
        "1:05",
        "59:59",
        "1h",
        "3d",
    ]


async def test_countdown_follows_the_injected_clock() -> None:
    clock = FakeClock()
    app = Harness(clock)
    async with app.run_test(size=(80, 12)) as pilot:
        countdown = app.query_one(Countdown)
        assert str(countdown.content) == "left 1:05" and not countdown.has_class("-soon")
        clock.advance(10)
        countdown.tick()
        assert str(countdown.content) == "left 0:55" and countdown.has_class("-soon")
        clock.advance(60)
        countdown.tick()
        countdown.tick()
        await pilot.pause()
        assert str(countdown.content) == "expired" and countdown.has_class("-expired")
        assert app.expired == 1  # announced once
        countdown.set_deadline(None)
        assert not countdown.display


async def test_paste_input_types_every_key_keeps_a_wrapped_paste_and_leaves_enter_to_the_screen() -> None:
    app = Harness(FakeClock())
    async with app.run_test(size=(80, 12)) as pilot:
        field = app.query_one(PasteInput)
        field.focus()
        await pilot.press("c", "x", "c")
        assert app.copies == 0 and field.value == "cxc"  # a focused field owns printable keys, empty or not
        await pilot.press("enter")
        assert app.submits == 1 and field.value == "cxc"  # Enter is the screen's (shown in its Footer)
        field.value = ""
        field.post_message(events.Paste("sk-ant-oat01-abc\n   def\n"))
        await pilot.pause()
        assert field.value == "sk-ant-oat01-abcdef"
    assert join_wrapped("a\r\n  b\n c ") == "abc"


async def test_url_link_is_whole_and_one_link() -> None:
    app = Harness(FakeClock())
    async with app.run_test(size=(60, 12)):
        link = app.query_one(UrlLink)
        assert str(link.content) == URL
        assert link.size.height > 1  # it wraps...
        assert {span.style.link for span in link.content.spans} == {URL}  # ...and every piece links to all of it


async def test_plain_shows_control_characters_escaped_line_by_line() -> None:
    """Paths, ids and messages read from files or servers: shown as `printable` shows them, their own line
    breaks kept, `[` never read as markup."""
    app = Harness(FakeClock())
    async with app.run_test(size=(60, 12)) as pilot:
        await app.mount(Plain("id \x1b]0;owned\x07 [/] [b]x", id="plain"))
        plain = app.query_one("#plain", Plain)
        assert str(plain.content) == "id \\x1b]0;owned\\x07 [/] [b]x"
        plain.update("line one \u202e\nline two \x9b31m")
        await pilot.pause()
        assert str(plain.content) == "line one \\u202e\nline two \\x9b31m"


class LinesHarness(App[None]):
    """A TextLines and a Static of the same size side by side."""

    CSS = "TextLines, Static { width: 32; height: 6; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield CountingLines(id="lines")
        yield Static("", id="static", markup=False)


class CountingLines(TextLines):
    """Records the lines it is asked to paint."""

    painted: list[int] = []

    def render_line(self, y: int) -> Strip:
        self.painted.append(y)
        return super().render_line(y)


DETAILS = "\n".join(
    [
        "openai:work  ·  openai api_key",
        "state      ok",
        "fix it     press l, or run: coderclaw models auth login --provider openai-codex",
        "pin it     /model <model>@openai:[work]",
    ]
)


def rendered(widget: Widget) -> list[Strip]:
    return widget.render_lines(Region(0, 0, widget.outer_size.width, widget.outer_size.height))


def shown_lines(widget: Widget) -> list[str]:
    return [strip.text for strip in rendered(widget)]


async def test_text_lines_wrap_and_show_as_a_static_does() -> None:
    app = LinesHarness()
    async with app.run_test(size=(70, 8)) as pilot:
        lines, static = app.query_one(CountingLines), app.query_one(Static)
        lines.update(DETAILS)
        static.update(DETAILS)
        await pilot.pause()
        assert shown_lines(lines) == shown_lines(static)
        assert [line.strip() for line in shown_lines(lines)][2:5] == [
            "fix it     press l, or run:",
            "coderclaw models auth login",
            "--provider openai-codex",
        ], "wrapped at words"
        assert lines.content == DETAILS


async def test_text_lines_repaint_only_the_lines_that_changed() -> None:
    app = LinesHarness()
    async with app.run_test(size=(70, 8)) as pilot:
        lines = app.query_one(CountingLines)
        lines.update(DETAILS)
        await pilot.pause()
        lines.painted.clear()
        lines.update(DETAILS.replace("state      ok", "state      expired"))
        await pilot.pause()
        assert lines.painted == [1]
        assert "state      expired" in shown_lines(lines)[1]


class FooterHarness(App[None]):
    """One key that shows only while `armed`, and a SteadyFooter that counts its rebuilds."""

    BINDINGS = [Binding("f", "fire", "Fire"), Binding("q", "quit", "Quit")]

    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def compose(self) -> ComposeResult:
        yield CountingFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.armed if action == "fire" else True


class CountingFooter(SteadyFooter):
    builds = 0

    def compose(self) -> ComposeResult:
        CountingFooter.builds += 1
        yield from super().compose()


def footer_keys(app: App[None]) -> list[str]:
    return [str(getattr(key, "key", "")) for key in app.query("FooterKey")]


async def test_steady_footer_rebuilds_only_when_the_keys_it_shows_change() -> None:
    app = FooterHarness()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        assert "f" not in footer_keys(app) and "q" in footer_keys(app)
        before = CountingFooter.builds
        for _ in range(3):
            app.screen.refresh_bindings()
        await pilot.pause()
        assert CountingFooter.builds == before, "nothing it shows changed"

        app.armed = True
        app.screen.refresh_bindings()
        app.screen.refresh_bindings()
        await wait_for(pilot, lambda: "f" in footer_keys(app), "the armed key")
        assert CountingFooter.builds == before + 1

        # A rebuild queued by an earlier change runs after the keys were rebuilt as they are: it does nothing.
        await app.query_one(CountingFooter).recompose()
        assert CountingFooter.builds == before + 1 and "f" in footer_keys(app)


async def test_text_lines_show_control_characters_escaped_and_keep_the_text_as_given() -> None:
    app = Harness(FakeClock())
    async with app.run_test(size=(60, 12)) as pilot:
        await app.mount(TextLines("", id="lines"))
        lines = app.query_one("#lines", TextLines)
        lines.update("id \x1b]0;owned\x07\nsecond \u202eline")
        await pilot.pause()
        assert lines.content == "id \x1b]0;owned\x07\nsecond \u202eline"  # as given, for whoever reads it back
        assert [lines.render_line(y).text.rstrip() for y in range(2)] == ["id \\x1b]0;owned\\x07", "second \\u202eline"]


class RestyleHarness(App[None]):
    """A ProfileTable and a TextLines whose colours a class on the screen changes (not their own rules, not the
    theme, not focus): what they cache of their style must follow such a change too."""

    CSS = """
    ProfileTable { height: 4; }
    TextLines { height: 2; }
    Screen.-alert ProfileTable { background: #aa0000; }
    Screen.-alert ProfileTable > .profile-table--cursor { background: #00aa00; }
    Screen.-alert TextLines { color: #0000aa; }
    """

    def compose(self) -> ComposeResult:
        yield ProfileTable(lambda key: {"id": key}, lambda: None, id="table")
        yield TextLines("details", id="lines")


def first_style(widget: Widget, y: int) -> Style:
    return next(iter(rendered(widget)[y])).style or Style.null()


async def test_the_table_and_text_lines_follow_a_style_change_they_did_not_cause() -> None:
    app = RestyleHarness()
    async with app.run_test(size=(40, 8)) as pilot:
        table, lines = app.query_one(ProfileTable), app.query_one(TextLines)
        table.set_columns([Column("id", "ID", 10)])
        table.set_rows(["a", "b"])
        await pilot.pause()
        before = (first_style(table, 1), first_style(table, 2), first_style(lines, 0))
        app.screen.add_class("-alert")
        await wait_for(pilot, lambda: first_style(lines, 0).color != before[2].color, "the details restyled")
        cursor, row, text = first_style(table, 1), first_style(table, 2), first_style(lines, 0)
        assert cursor.bgcolor is not None and cursor.bgcolor.triplet == (0, 0xAA, 0), "the cursor line restyled"
        assert row != before[1], "a row line restyled"
        assert text.color is not None and text.color.triplet == (0, 0, 0xAA)


class TableHarness(App[None]):
    CSS = "ProfileTable { height: 6; }"

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__()
        self.values = values

    def compose(self) -> ComposeResult:
        yield ProfileTable(lambda key: {"id": self.values[key]}, lambda: None, id="table")


async def test_the_table_keeps_a_rows_line_on_and_off_the_cursor_and_drops_both_when_the_row_changes() -> None:
    values = {"a": "first", "b": "second"}
    app = TableHarness(values)
    async with app.run_test(size=(30, 8)) as pilot:
        table = app.query_one(ProfileTable)
        table.set_columns([Column("id", "ID", 10)])
        table.set_rows(["a", "b"])
        await pilot.pause()
        on_cursor = table.render_line(1)
        table.move_cursor(1)
        off_cursor = table.render_line(1)
        assert off_cursor.text == on_cursor.text and off_cursor != on_cursor, "the cursor's style left row a"
        table.move_cursor(0)
        assert table.render_line(1) is on_cursor, "row a's line on the cursor, as painted before"
        values["a"] = "renamed"
        table.refresh_keys(["a"])
        assert "renamed" in table.render_line(1).text, "the line on the cursor painted again"
        table.move_cursor(1)
        assert "renamed" in table.render_line(1).text, "and the line off it"
        assert str(table.get_cell("a", "id")) == "renamed"


class FilteredHarness(App[None]):
    """The widgets that keep their own painted lines, under the app's guard against terminal-driving characters
    (as CoderclawApp has it), fed raw text a screen forgot to escape."""

    CSS = "ProfileTable { height: 3; } TextLines { height: 1; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield ProfileTable(lambda key: {"id": f"{key} \x1b]0;owned\x07"}, lambda: None, id="table")
        yield TextLines("", id="lines")
        yield RuleLine(id="rule")

    guarded = True
    """Whether the guard is among the app's filters (a kept line follows the filters of the moment)."""

    def get_line_filters(self) -> Sequence[LineFilter]:
        return [*super().get_line_filters(), *([TERMINAL_SAFE] if self.guarded else [])]


async def test_the_lines_a_widget_keeps_still_pass_the_apps_line_filters() -> None:
    app = FilteredHarness()
    async with app.run_test(size=(30, 6)) as pilot:
        table, lines, rule = app.query_one(ProfileTable), app.query_one(TextLines), app.query_one(RuleLine)
        table.set_columns([Column("id", "ID", 20)])
        table.set_rows(["a"])
        await pilot.pause()
        painted = table.render_lines(Region(0, 0, 30, 2))
        assert painted[1].text.startswith(" a ]0;owned") and painted[1].cell_length == 30, "the ESC and BEL gone"
        assert all(not segment.control for segment in painted[1])
        painted_twice = table.render_lines(Region(0, 0, 30, 2))
        assert painted_twice[1].text == painted[1].text, "a kept line is filtered as the first paint was"
        app.guarded = False
        assert "\x1b" in table.render_lines(Region(0, 0, 30, 2))[1].text, "the filters of the moment, not the first"
        app.guarded = True
        assert table.render_lines(Region(0, 0, 30, 2))[1].text == painted[1].text
        assert table.render_lines(Region(1, 0, 4, 2))[1].text == "a ]0", "the columns asked for"
        # A TextLines escapes what it is given; what it paints would pass the guard all the same.
        lines.update("id \x1b[31m")
        await pilot.pause()
        assert [line.rstrip() for line in shown_lines(lines)] == [" id \\x1b[31m"]
        assert [len(line) for line in shown_lines(lines)] == [30], "the padding either side drawn"
        assert rendered(rule)[0].text == "─" * 30
