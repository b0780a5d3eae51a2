"""A key login's own entry in `coderclaw.json` (`ConfigEntry`): the id it gets when the one asked for is taken,
and the list items it keeps from the entry already there. Pure functions of the config as read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coderclaw_tui.providers.specs import ConfigEntry

MAX_SUFFIX = 99


def entries_under(config: Mapping[str, Any], entry: ConfigEntry) -> Mapping[str, Any]:
    """The config's entries at `entry.under` ({} where the path is missing or not objects)."""
    node: Any = config
    for key in entry.under:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def distinct_id(config: Mapping[str, Any], entry: ConfigEntry, wanted: str, same: str) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`, … when an entry holds that id with a `same_if` value other than `same`
    (CoderClaw's rule: the same endpoint id for another base URL must not overwrite it)."""
    existing = entries_under(config, entry)
    for n in range(1, MAX_SUFFIX + 1):
        candidate = wanted if n == 1 else f"{wanted}-{n}"
        held = existing.get(candidate)
        if not isinstance(held, Mapping) or held.get(entry.same_if) in (None, same):
            return candidate
    return f"{wanted}-{MAX_SUFFIX + 1}"


def keep_items(config: Mapping[str, Any], entry: ConfigEntry, entry_id: str, new_items: list[Any]) -> list[Any]:
    """The entry's existing `keep_items` list with `new_items` added, or put in place of an item with their id."""
    held = entries_under(config, entry).get(entry_id)
    old = held.get(entry.keep_items) if isinstance(held, Mapping) else None
    if not isinstance(old, list):
        return new_items
    merged = list(old)
    for item in new_items:
        item_id = item.get("id") if isinstance(item, Mapping) else None
        at = next((i for i, o in enumerate(merged) if isinstance(o, Mapping) and o.get("id") == item_id), None)
        if at is None:
            merged.append(item)
        else:
            merged[at] = item
    return merged


def entry_in_patch(patch: dict[str, Any], entry: ConfigEntry, entry_id: str) -> dict[str, Any] | None:
    """The login's own entry inside its filled config patch, to complete before it is merged."""
    node: Any = patch
    for key in (*entry.under, entry_id):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None
