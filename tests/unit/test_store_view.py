"""StoreView's one-pass grouping (what `models status` uses) gives each provider the same order as asking for it."""

from __future__ import annotations

from pathlib import Path

from coderclaw_tui.core.sink import TokenSink


def test_grouping_in_one_pass_keeps_each_providers_order(main_store: Path) -> None:
    view = TokenSink().view("main")
    assert view.profiles, "the fixture store should hold profiles"
    grouped = view.ordered_by_provider()
    providers = {entry.provider for entry in view.profiles.values()}
    assert set(grouped) == providers
    for provider in providers:
        assert grouped[provider] == view.ordered_profiles(provider)
    assert any(view.order.get(p) for p in providers), "the fixture should have an explicit order to honour"
