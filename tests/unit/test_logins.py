"""Saving a login (SPEC 5 "same identity", SPEC 6 config): what lands in the store and in `coderclaw.json`.

A second login must never silently replace someone else's credential, and the config must only ever gain
what the spec says, so every test here reads the files back from disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import json5
import pytest

from coderclaw_tui import paths
from coderclaw_tui.core.agents import add_agent
from coderclaw_tui.core.errors import UsageError
from coderclaw_tui.core.logins import (
    ProfileCollision,
    forget_profile,
    plan_placement,
    save_login,
)
from coderclaw_tui.core.sink import TokenSink

CODEX = "openai-codex:dev@example.test"


def store_path(agent: str = "main") -> Path:
    return paths.auth_store_path(paths.default_agent_dir(agent))


def stored(agent: str = "main") -> dict[str, Any]:
    return json.loads(store_path(agent).read_text(encoding="utf-8"))


def config() -> dict[str, Any]:
    return json.loads(paths.config_path().read_text(encoding="utf-8"))


def oauth(access: str, *, email: str | None = "dev@example.test", account: str | None = "acct-1") -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "oauth", "provider": "openai-codex", "access": access, "refresh": "rt_" + access, "expires": 4_000_000_000_000,
    }
    if account:
        record["accountId"] = account
    if email:
        record["email"] = email
    return record


def token(value: str, provider: str = "anthropic") -> dict[str, Any]:
    return {"type": "token", "provider": provider, "token": value}


def api_key(value: str, provider: str = "openai") -> dict[str, Any]:
    return {"type": "api_key", "provider": provider, "key": value}


# Same identity: updated in place


def test_same_oauth_identity_updates_the_profile_in_place() -> None:
    """A re-login of the same ChatGPT account refreshes the credential instead of adding a second profile."""
    sink = TokenSink()
    save_login(sink, "main", CODEX, oauth("old"))
    new = oauth("new")
    placement = plan_placement(sink, "main", CODEX, new)
    assert (placement.profile_id, placement.replaces, placement.collision) == (CODEX, True, None)
    assert placement.store_path == str(store_path())
    assert save_login(sink, "main", CODEX, new) == (CODEX, None)
    assert stored()["profiles"] == {CODEX: new}


def test_same_account_id_with_a_changed_email_is_still_the_same_identity() -> None:
    """accountId is the stronger identity: an account whose email changed is the same account."""
    sink = TokenSink()
    save_login(sink, "main", CODEX, oauth("old"))
    new = oauth("new", email="renamed@example.test")
    assert plan_placement(sink, "main", CODEX, new).replaces is True
    save_login(sink, "main", CODEX, new)
    assert stored()["profiles"][CODEX]["access"] == "new"


def test_email_match_is_case_insensitive_and_tolerates_an_added_account_id() -> None:
    """An old record with only an email is the same person when the new login carries that email plus an accountId."""
    sink = TokenSink()
    save_login(sink, "main", CODEX, oauth("old", email="Dev@Example.TEST", account=None))
    new = oauth("new")
    assert plan_placement(sink, "main", CODEX, new).replaces is True
    save_login(sink, "main", CODEX, new)
    assert stored()["profiles"][CODEX] == new


@pytest.mark.parametrize(
    ("profile_id", "first", "second"),
    [
        ("anthropic:work", token("sk-ant-oat01-" + "a" * 80), token("sk-ant-oat01-" + "b" * 80)),
        ("openai:default", api_key("sk-proj-old"), api_key("sk-proj-new")),
    ],
)
def test_token_and_api_key_without_identity_update_in_place(profile_id: str, first: dict, second: dict) -> None:
    """Pasted secrets carry no identity, so re-pasting under the same name replaces the old secret."""
    sink = TokenSink()
    save_login(sink, "main", profile_id, first)
    assert plan_placement(sink, "main", profile_id, second).replaces is True
    save_login(sink, "main", profile_id, second)
    assert stored()["profiles"] == {profile_id: second}


# Different identity or type: never overwritten


@pytest.mark.parametrize(
    "intruder",
    [
        oauth("other", email="someone.else@example.test", account=None),
        oauth("other", account="acct-2"),
        token("sk-ant-oat01-" + "z" * 80, provider="openai-codex"),
    ],
    ids=["different-email", "different-account-id", "different-type"],
)
def test_a_different_identity_or_type_is_refused_and_leaves_the_store_untouched(intruder: dict[str, Any]) -> None:
    """Someone else's login under an occupied id: the plan proposes a free id, and the save refuses outright."""
    sink = TokenSink()
    owner = oauth("mine", email="dev@example.test", account=None if intruder.get("accountId") is None else "acct-1")
    save_login(sink, "main", CODEX, owner)
    before_store = store_path().read_bytes()
    before_config = paths.config_path().read_bytes()

    placement = plan_placement(sink, "main", CODEX, intruder)
    assert placement.profile_id == CODEX + "-2"
    assert placement.replaces is False
    assert placement.collision is not None and "an OAuth login" in placement.collision
    assert "dev@example.test" in placement.collision

    with pytest.raises(ProfileCollision) as caught:
        save_login(sink, "main", CODEX, intruder)
    assert caught.value.free_id == CODEX + "-2"
    assert CODEX + "-2" in caught.value.message
    assert store_path().read_bytes() == before_store
    assert paths.config_path().read_bytes() == before_config


def test_free_id_skips_every_taken_suffix() -> None:
    """With `-2` taken too, the proposal is `-3`: never an id that already holds something."""
    sink = TokenSink()
    save_login(sink, "main", "anthropic:work", token("sk-ant-oat01-" + "a" * 80))
    save_login(sink, "main", "anthropic:work-2", api_key("sk-ant-api03-x", provider="anthropic"))
    placement = plan_placement(sink, "main", "anthropic:work", api_key("sk-ant-api03-y", provider="anthropic"))
    assert placement.profile_id == "anthropic:work-3"
    assert placement.collision == "a token"
    with pytest.raises(ProfileCollision) as caught:
        save_login(sink, "main", "anthropic:work", api_key("sk-ant-api03-y", provider="anthropic"))
    assert caught.value.free_id == "anthropic:work-3"


def test_collision_in_the_fixture_store_keeps_it_byte_for_byte(main_store: Path) -> None:
    """A store CoderClaw wrote (unknown fields, usageStats, extra keys) is not rewritten by a refused login."""
    before = main_store.read_bytes()
    with pytest.raises(ProfileCollision):
        save_login(TokenSink(), "main", CODEX, oauth("x", email="intruder@example.test", account="acct-intruder"))
    assert main_store.read_bytes() == before


def test_sub_agent_collision_proposal_agrees_with_the_plan() -> None:
    """The refused save must propose the same free id the confirm screen showed: one that does not shadow an
    id the sub-agent inherits from main (here `anthropic:work-2`, a different credential in main's store)."""
    add_agent("research")
    sink = TokenSink()
    save_login(sink, "main", "anthropic:work-2", api_key("sk-ant-api03-main", provider="anthropic"))
    save_login(sink, "research", "anthropic:work", token("sk-ant-oat01-" + "r" * 80))
    intruder = api_key("sk-ant-api03-other", provider="anthropic")
    planned = plan_placement(sink, "research", "anthropic:work", intruder)
    assert planned.profile_id == "anthropic:work-3"
    with pytest.raises(ProfileCollision) as caught:
        save_login(sink, "research", "anthropic:work", intruder)
    assert caught.value.free_id == planned.profile_id


# Config


def test_login_without_a_config_creates_auth_profiles_but_no_order() -> None:
    """`auth.order` is routing a user chose; a login must not invent one."""
    save_login(TokenSink(), "main", CODEX, oauth("a"))
    assert config() == {"auth": {"profiles": {CODEX: {"provider": "openai-codex", "mode": "oauth", "email": "dev@example.test"}}}}


@pytest.mark.parametrize(
    ("record", "mode"), [(token("sk-ant-oat01-" + "t" * 80), "token"), (api_key("sk-ant-api03-k", "anthropic"), "api_key")]
)
def test_config_mode_follows_the_credential_type_without_email(record: dict[str, Any], mode: str) -> None:
    save_login(TokenSink(), "main", "anthropic:new", record)
    assert config()["auth"]["profiles"]["anthropic:new"] == {"provider": "anthropic", "mode": mode}


def test_existing_order_gets_the_new_id_at_its_front(config_file: Path) -> None:
    """A fresh login becomes the one used, where the user already keeps an order for that provider."""
    save_login(TokenSink(), "main", "anthropic:default", api_key("sk-ant-api03-k", "anthropic"))
    auth = config()["auth"]
    assert auth["order"]["anthropic"] == ["anthropic:default", "anthropic:work"]
    save_login(TokenSink(), "main", "anthropic:third", token("sk-ant-oat01-" + "t" * 80))
    assert config()["auth"]["order"]["anthropic"] == ["anthropic:third", "anthropic:default", "anthropic:work"]


def test_no_order_is_created_for_a_provider_that_had_none(config_file: Path) -> None:
    save_login(TokenSink(), "main", "openai:default", api_key("sk-proj-k"))
    auth = config()["auth"]
    assert set(auth["order"]) == {"anthropic"}
    assert auth["profiles"]["openai:default"] == {"provider": "openai", "mode": "api_key"}


def test_json5_config_keeps_its_other_content_and_a_backup(config_file: Path) -> None:
    """Comments cannot survive a JSON rewrite, so the original is kept as `.bak` (then rotated, as CoderClaw
    rotates its five backups); every value is kept."""
    original_bytes = config_file.read_bytes()
    original = json5.loads(original_bytes.decode("utf-8"))
    save_login(TokenSink(), "main", "openai:default", api_key("sk-proj-k"))
    after = config()
    added = after["auth"]["profiles"].pop("openai:default")
    assert added == {"provider": "openai", "mode": "api_key"}
    assert after == original
    backup = config_file.with_name("coderclaw.json.bak")
    assert backup.read_bytes() == original_bytes
    save_login(TokenSink(), "main", "openai:second", api_key("sk-proj-k2"))
    assert config_file.with_name("coderclaw.json.bak.1").read_bytes() == original_bytes


def test_relogin_keeps_config_fields_it_does_not_own(config_file: Path) -> None:
    """Extra keys a user put on `auth.profiles[id]` survive; a now-absent email is dropped."""
    text = config_file.read_text().replace('mode: "token", }', 'mode: "token", label: "mine", email: "x@y" }')
    config_file.write_text(text)
    save_login(TokenSink(), "main", "anthropic:work", token("sk-ant-oat01-" + "w" * 80))
    assert config()["auth"]["profiles"]["anthropic:work"] == {"provider": "anthropic", "mode": "token", "label": "mine"}


# Logout


def test_forget_profile_removes_it_from_store_and_config(main_store: Path, config_file: Path) -> None:
    forget_profile(TokenSink(), "main", "anthropic:work")
    data = stored()
    assert "anthropic:work" not in data["profiles"]
    assert data["order"].get("anthropic") == ["anthropic:default"]
    assert "anthropic:default" in data["profiles"] and "mystery:default" in data["profiles"]
    auth = config()["auth"]
    assert "anthropic:work" not in auth["profiles"]
    assert auth["order"]["anthropic"] == ["anthropic:default"]
    assert config()["gateway"] == {"port": 18789, "mode": "local"}


def test_forget_without_a_config_does_not_create_one() -> None:
    save_login(TokenSink(), "main", "openai:default", api_key("sk-proj-k"))
    paths.config_path().unlink()
    forget_profile(TokenSink(), "main", "openai:default")
    assert stored()["profiles"] == {}
    assert not paths.config_path().exists()


def test_forgetting_an_inherited_profile_from_a_sub_agent_is_refused() -> None:
    """A sub-agent only reads main's profile; logging out there must not delete main's credential."""
    sink = TokenSink()
    save_login(sink, "main", CODEX, oauth("a"))
    add_agent("work")
    before_store, before_config = store_path().read_bytes(), paths.config_path().read_bytes()
    with pytest.raises(UsageError) as caught:
        forget_profile(TokenSink(), "work", CODEX)
    assert "--agent main" in caught.value.message
    assert store_path().read_bytes() == before_store
    assert paths.config_path().read_bytes() == before_config
    assert stored("work")["profiles"] == {}
