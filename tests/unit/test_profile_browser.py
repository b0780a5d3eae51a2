"""The profile browser's controller (`ProfileBrowser`): which rows it shows for which agent, and that every
action (reorder, remove, refresh, move aside) lands in the right store on disk.

Promise 3 ("many accounts") lives here: a reorder written to the wrong agent, or a refresh that does not
reach the store, is invisible in the UI until a script gets the wrong token.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_refresh import mint_tokens

from coderclaw_tui import paths
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.core import sink as sink_module
from coderclaw_tui.core.agents import add_agent
from coderclaw_tui.core.logins import save_login
from coderclaw_tui.core.sink import TokenSink
from coderclaw_tui.flows.profiles import FirstRows, ProfileBrowser, ProfileRow

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
CODEX = "openai-codex:sandbox.user@example.test"


def store_path(agent: str) -> Path:
    return paths.auth_store_path(paths.default_agent_dir(agent))


def stored(agent: str) -> dict[str, Any]:
    return json.loads(store_path(agent).read_text(encoding="utf-8"))


def key(value: str, provider: str = "openai") -> dict[str, Any]:
    return {"type": "api_key", "provider": provider, "key": value}


@pytest.fixture
def sink() -> TokenSink:
    """main with three OpenAI keys; `work` with one OpenAI key and an Anthropic token; `research` with an xAI key."""
    add_agent("work")
    add_agent("research")
    sink = TokenSink()
    for name in ("a", "b", "c"):
        save_login(sink, "main", f"openai:{name}", key(f"sk-proj-main-{name}-0000000000"))
    save_login(sink, "work", "openai:w", key("sk-proj-work-w-0000000000"))
    save_login(sink, "work", "anthropic:work", {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-" + "t" * 80})
    save_login(sink, "research", "xai:default", key("xai-research-0000000000", "xai"))
    return sink


def ids(rows: list[ProfileRow]) -> list[tuple[str, str, bool]]:
    return [(r.agent_id, r.entry.profile_id, r.inherited) for r in rows]


def row(browser: ProfileBrowser, agent: str, profile_id: str, agent_filter: str | None = None) -> ProfileRow:
    return next(r for r in browser.load(agent_filter).rows if r.agent_id == agent and r.entry.profile_id == profile_id)


# Rows


def test_all_agents_show_only_their_own_profiles(sink: TokenSink) -> None:
    snapshot = ProfileBrowser(sink).load()
    assert snapshot.agents == ["main", "work", "research"]
    assert snapshot.problems == []
    assert ids(snapshot.rows) == [
        ("main", "openai:a", False),
        ("main", "openai:b", False),
        ("main", "openai:c", False),
        ("work", "anthropic:work", False),
        ("work", "openai:w", False),
        ("research", "xai:default", False),
    ]
    first = snapshot.rows[0]
    assert first.state.name == "static"
    assert first.masked_secret.endswith("0000") and "main-a" not in first.masked_secret
    assert first.entry.store_path == store_path("main")


def test_agent_filter_includes_inherited_rows_marked_inherited(sink: TokenSink) -> None:
    """A sub-agent uses main's profiles too, so its view shows them, marked so the user knows who owns them."""
    rows = ProfileBrowser(sink).load("work").rows
    assert ids(rows) == [
        ("work", "anthropic:work", False),
        ("work", "openai:a", True),
        ("work", "openai:b", True),
        ("work", "openai:c", True),
        ("work", "openai:w", False),
    ]
    openai = [r for r in rows if r.entry.provider == "openai"]
    assert [(r.order_position, r.order_size) for r in openai] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert {r.entry.owner_agent for r in openai if r.inherited} == {"main"}


# Reordering


def test_move_up_and_down_writes_the_resulting_order_to_that_agents_store(sink: TokenSink) -> None:
    browser = ProfileBrowser(sink)
    result = browser.move(row(browser, "main", "openai:c"), -1)
    assert result.ok and "openai:a, openai:c, openai:b" in result.message
    assert stored("main")["order"] == {"openai": ["openai:a", "openai:c", "openai:b"]}
    assert browser.move(row(browser, "main", "openai:a"), +1).ok
    assert stored("main")["order"] == {"openai": ["openai:c", "openai:a", "openai:b"]}
    assert "order" not in stored("work") and "order" not in stored("research")
    moved = [r.entry.profile_id for r in browser.load("main").rows]
    assert moved == ["openai:c", "openai:a", "openai:b"]


def test_make_first_in_a_sub_agent_writes_only_the_sub_agents_order(sink: TokenSink) -> None:
    browser = ProfileBrowser(sink)
    before_main = store_path("main").read_bytes()
    result = browser.make_first(row(browser, "work", "openai:w", agent_filter="work"))
    assert result.ok
    assert stored("work")["order"] == {"openai": ["openai:w", "openai:a", "openai:b", "openai:c"]}
    assert store_path("main").read_bytes() == before_main


def test_make_first_of_the_last_of_three(sink: TokenSink) -> None:
    browser = ProfileBrowser(sink)
    assert browser.make_first(row(browser, "main", "openai:c")).ok
    assert stored("main")["order"]["openai"] == ["openai:c", "openai:a", "openai:b"]


def test_moving_past_an_end_writes_nothing(sink: TokenSink) -> None:
    browser = ProfileBrowser(sink)
    before = store_path("main").read_bytes()
    top = browser.move(row(browser, "main", "openai:a"), -1)
    bottom = browser.move(row(browser, "main", "openai:c"), +1)
    assert "already first" in top.message and "already last" in bottom.message
    assert store_path("main").read_bytes() == before


# Removing


def test_remove_deletes_from_store_and_config(sink: TokenSink) -> None:
    browser = ProfileBrowser(sink)
    browser.move(row(browser, "main", "openai:b"), -1)
    result = browser.remove(row(browser, "main", "openai:b"))
    assert result.ok and str(store_path("main")) in result.message
    data = stored("main")
    assert sorted(data["profiles"]) == ["openai:a", "openai:c"]
    assert data["order"]["openai"] == ["openai:a", "openai:c"]
    config = json.loads(paths.config_path().read_text())
    assert "openai:b" not in config["auth"]["profiles"] and "openai:a" in config["auth"]["profiles"]


def test_remove_of_an_inherited_row_removes_it_where_it_lives(sink: TokenSink) -> None:
    """The browser's dialog names main's store for an inherited row, so that is where it is removed from;
    the sub-agent's own store is not touched (nothing was ever copied there)."""
    browser = ProfileBrowser(sink)
    work_before = store_path("work").read_bytes() if store_path("work").exists() else None
    result = browser.remove(row(browser, "work", "openai:a", agent_filter="work"))
    assert result.ok and str(store_path("main")) in result.message
    assert "openai:a" not in json.loads(store_path("main").read_text())["profiles"]
    assert (store_path("work").read_bytes() if store_path("work").exists() else None) == work_before


# Refreshing


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxIssuer]:
    with SandboxIssuer() as running:
        monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", running.base_url)
        yield running


def store_codex_login(issuer: SandboxIssuer, sink: TokenSink) -> dict[str, Any]:
    tokens = mint_tokens(issuer)
    record = {
        "type": "oauth", "provider": "openai-codex", "access": tokens["access_token"], "refresh": tokens["refresh_token"],
        "expires": int(time.time() * 1000) + 3_600_000, "accountId": "acct_sandbox_0001",
        "email": "sandbox.user@example.test",
    }
    save_login(sink, "main", CODEX, record)
    return record


def test_refresh_of_an_oauth_row_writes_the_new_token(sink: TokenSink, issuer: SandboxIssuer) -> None:
    old = store_codex_login(issuer, sink)
    browser = ProfileBrowser(sink)
    result = browser.refresh(row(browser, "main", CODEX))
    assert result.ok, result.message
    assert CODEX in result.message and "expires in" in result.message
    record = stored("main")["profiles"][CODEX]
    assert record["access"] != old["access"] and record["refresh"] != old["refresh"]
    assert record["email"] == "sandbox.user@example.test"
    assert issuer.refresh_count == 1 and issuer.reuse_detected == 0


def test_refresh_of_an_inherited_oauth_row_writes_to_mains_store(sink: TokenSink, issuer: SandboxIssuer) -> None:
    """Refresh tokens are never copied into a sub-agent: the rotated token goes back where it lives."""
    old = store_codex_login(issuer, sink)
    before_work = store_path("work").read_bytes()
    browser = ProfileBrowser(sink)
    assert browser.refresh(row(browser, "work", CODEX, agent_filter="work")).ok
    assert stored("main")["profiles"][CODEX]["refresh"] != old["refresh"]
    assert store_path("work").read_bytes() == before_work


def test_refresh_of_an_api_key_row_is_refused_without_writing(sink: TokenSink) -> None:
    browser = ProfileBrowser(sink)
    before = store_path("main").read_bytes()
    result = browser.refresh(row(browser, "main", "openai:a"))
    assert not result.ok
    assert "openai:a" in result.message and "OAuth" in result.message
    assert store_path("main").read_bytes() == before


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every store file parsed from now on, in order."""
    paths_read: list[Path] = []
    real = sink_module.read_store

    def counting(path: Path) -> Any:
        paths_read.append(path)
        return real(path)

    monkeypatch.setattr(sink_module, "read_store", counting)
    return paths_read


def test_a_load_reads_each_store_once(sink: TokenSink, reads: list[Path]) -> None:
    """Every sub-agent's view reads main's store through; one load of the browser parses it once, not once per
    agent (50 agents read it 50 times)."""
    snapshot = ProfileBrowser(sink).load()
    assert sorted(reads) == sorted(store_path(agent) for agent in ("main", "work", "research"))
    assert ("work", "openai:w", False) in ids(snapshot.rows) and ("main", "openai:a", False) in ids(snapshot.rows)
    reads.clear()
    assert ("work", "openai:a", True) in ids(ProfileBrowser(sink).load("work").rows)
    assert sorted(reads) == sorted(store_path(agent) for agent in ("main", "work"))


def test_the_first_agents_rows_are_handed_on_once_they_fill_a_screen(sink: TokenSink, reads: list[Path]) -> None:
    """With `first_rows`, the rows of the agents read so far are handed on as soon as there are enough of them and
    the stores left hold more than it says, before those are read: they are the top of the table the whole load
    gives."""
    handed: list[tuple[Any, list[Path]]] = []
    whole = ProfileBrowser(sink).load(first_rows=FirstRows(3, lambda part: handed.append((part, list(reads)))))
    assert len(handed) == 1
    part, read_by_then = handed[0]
    assert ids(part.rows) == [("main", f"openai:{name}", False) for name in "abc"]
    assert part.rows == whole.rows[:3] and not part.complete and whole.complete
    assert read_by_then == [store_path("main")], "the other agents' stores were read before the first rows went"
    assert part.agents == whole.agents == ["main", "work", "research"]

    # Not enough rows before the last agent, or a screen that takes them all: only the whole load is told of.
    for count in (6, 7):
        told: list[Any] = []
        assert ProfileBrowser(sink).load(first_rows=FirstRows(count, told.append)).rows == whole.rows
        assert told == []
    # Enough after two agents: main's and work's rows, at once.
    told = []
    ProfileBrowser(sink).load(first_rows=FirstRows(4, told.append))
    assert [ids(part.rows) for part in told] == [ids(whole.rows)[:5]]

    # Little left to read: it is read first, and the whole is all there is.
    rest = sum(store_path(agent).stat().st_size for agent in ("work", "research"))
    told = []
    ProfileBrowser(sink).load(first_rows=FirstRows(3, told.append, rest_bytes=rest))
    assert told == []
    ProfileBrowser(sink).load(first_rows=FirstRows(3, told.append, rest_bytes=rest - 1))
    assert len(told) == 1


# Change detection


def test_stamps_change_when_another_process_writes(sink: TokenSink, run_cli: RunCli) -> None:
    browser = ProfileBrowser(sink)
    first = browser.stamps()
    browser.load()
    browser.move(row(browser, "main", "openai:a"), -1)  # refused: nothing written
    assert browser.stamps() == first
    assert set(first.stores) == {"main", "work", "research"}

    result = run_cli(
        "models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:pasted", input="sk-proj-pasted\n"
    )
    assert result.returncode == 0, result.stderr
    changed = browser.stamps()
    assert changed != first
    assert changed.stores["main"] != first.stores["main"]
    assert browser.stamps() == changed
    assert "openai:pasted" in [r.entry.profile_id for r in browser.load("main").rows]


def test_only_the_stores_that_changed_are_read_again(sink: TokenSink, run_cli: RunCli) -> None:
    """A sub-agent's store changed (a refresh, a reorder: the store alone): only that agent is stale. Main's store
    (read through by every agent), the config (a login records the profile there) or a new agent: every agent is."""
    browser = ProfileBrowser(sink)
    before = browser.stamps()
    snapshot = browser.load()
    sink.update("research", lambda store: store.profiles.update({"xai:second": key("xai-second-0000000000", "xai")}))
    after = browser.stamps()
    assert before.stale_agents(after) == {"research"}

    # work's store changes behind the poll's back: a reload told only research is stale keeps work's old rows,
    # which shows that work's store was not read again; research's new profile is there.
    sink.update("work", lambda store: store.profiles.update({"openai:unseen": key("sk-proj-unseen-0000000000")}))
    partial = browser.load(None, snapshot, {"research"})
    assert ("research", "xai:second", False) in ids(partial.rows)
    assert ("work", "openai:unseen", False) not in ids(partial.rows)
    assert partial.rows[:3] == snapshot.rows[:3]
    assert ("work", "openai:unseen", False) in ids(browser.load(None, partial, before.stale_agents(browser.stamps())).rows)

    # Another filter than the previous snapshot's: nothing is taken over.
    assert ("work", "openai:unseen", False) in ids(browser.load("work", snapshot, set()).rows)

    latest = browser.stamps()
    sink.update("main", lambda store: store.profiles.update({"openai:d": key("sk-proj-main-d-0000000000")}))
    assert latest.stale_agents(browser.stamps()) is None
    latest = browser.stamps()
    save_login(sink, "work", "openai:e", key("sk-proj-work-e-0000000000"))
    assert latest.stale_agents(browser.stamps()) is None
    latest = browser.stamps()
    add_agent("extra")
    assert latest.stale_agents(browser.stamps()) is None


# Unreadable stores


def test_a_corrupt_store_is_a_problem_while_other_agents_still_load(sink: TokenSink) -> None:
    broken = store_path("work")
    broken.write_text('{"version": 1, "profiles": {')
    snapshot = ProfileBrowser(sink).load()
    assert len(snapshot.problems) == 1
    problem = snapshot.problems[0]
    assert getattr(problem, "path", None) == broken
    assert str(broken) in problem.message
    assert {r.agent_id for r in snapshot.rows} == {"main", "research"}
    inherited = ProfileBrowser(sink).load("work")
    assert [r.entry.profile_id for r in inherited.rows] == ["openai:a", "openai:b", "openai:c"]
    assert broken.read_text() == '{"version": 1, "profiles": {', "a corrupt store is never rewritten"


def test_a_corrupt_main_store_is_reported_once(sink: TokenSink) -> None:
    """Every sub-agent reads through main, but the problem is one file and is listed once."""
    store_path("main").write_text("not json")
    snapshot = ProfileBrowser(sink).load()
    assert [getattr(p, "path", None) for p in snapshot.problems] == [store_path("main")]
    assert {r.agent_id for r in snapshot.rows} == {"work", "research"}


def test_move_aside_then_a_clean_load(sink: TokenSink) -> None:
    broken = store_path("work")
    garbage = b"\x00\xffnot a store"
    broken.write_bytes(garbage)
    browser = ProfileBrowser(sink)
    assert browser.load().problems
    result = browser.move_aside("work")
    assert result.ok
    moved = list(broken.parent.glob("auth-profiles.json.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == garbage
    assert str(moved[0]) in result.message
    assert not broken.exists()
    after = browser.load()
    assert after.problems == []
    assert {r.agent_id for r in after.rows} == {"main", "research"}
