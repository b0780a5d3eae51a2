"""Filling a method's `ConfigPatch` with what the login produced, and merging it into `coderclaw.json`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from coderclaw_tui.providers.specs import BaseUrlRule, ConfigPatch

_WHOLE = re.compile(r"\$\{(\w+)\}")


def base_url_from(rule: BaseUrlRule, answer: Mapping[str, Any]) -> str:
    """The provider's API base URL: the token answer's (Qwen's `resource_url`), normalised, else the default."""
    raw = answer.get(rule.answer_field)
    url = raw.strip() if isinstance(raw, str) and raw.strip() else rule.default
    if rule.ensure_scheme and "://" not in url:
        url = "https://" + url
    url = url.rstrip("/")
    if rule.ensure_suffix and not url.endswith(rule.ensure_suffix):
        url += rule.ensure_suffix
    return url


def fill(patch: ConfigPatch, values: Mapping[str, str], answer: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The template with `${name}` filled in keys and strings; a value that is exactly a blank placeholder drops
    its key (a custom provider without a key gets no `apiKey`)."""
    known = dict(values)
    if patch.base_url is not None:
        known.setdefault("baseUrl", base_url_from(patch.base_url, answer or {}))
    filled = _fill(patch.template, known)
    assert isinstance(filled, dict)
    return filled


def _fill(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for key, value in node.items():
            child = _fill(value, values)
            if child is not _DROP:
                out[_substitute(key, values)] = child
        return out
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, str):
        whole = _WHOLE.fullmatch(node)
        if whole and not values.get(whole.group(1)):
            return _DROP
        return _substitute(node, values)
    return node


def _substitute(text: str, values: Mapping[str, str]) -> str:
    return _WHOLE.sub(lambda m: values.get(m.group(1), ""), text)


_DROP = object()


def deep_merge(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """CoderClaw's merge: objects merge key by key, anything else (lists included) is replaced."""
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = _copy(value)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
