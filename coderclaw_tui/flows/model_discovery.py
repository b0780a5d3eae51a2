"""Asking a local or self-hosted model server which models it has (`ModelDiscovery`), so the wizard can offer
them as the user types the model id. Everything here is a convenience: any failure is one short reason and an
empty list, and the user types the id."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from coderclaw_tui.providers.specs import ModelDiscovery

if TYPE_CHECKING:
    import httpx

TIMEOUT_S = 5.0
MAX_MODELS = 200
MAX_ANSWER_BYTES = 1 << 20


class Discovered(NamedTuple):
    models: tuple[str, ...]
    reason: str = ""
    """Why there are none (no answer, not the expected shape), for the hint under the field."""


def discovery_url(discovery: ModelDiscovery, base_url: str) -> str:
    base = base_url.strip().rstrip("/")
    if discovery.strip_suffix and base.endswith(discovery.strip_suffix):
        base = base[: -len(discovery.strip_suffix)]
    return base + discovery.path


async def discover_models(http: httpx.AsyncClient, discovery: ModelDiscovery, base_url: str, key: str = "") -> Discovered:
    """The model ids the server lists, in its order, printable and short, at most MAX_MODELS."""
    import httpx

    url = discovery_url(discovery, base_url)
    headers = {"Authorization": f"Bearer {key}"} if discovery.send_key and key else {}
    try:
        async with http.stream("GET", url, headers=headers, timeout=TIMEOUT_S) as answer:
            body = b""
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    return Discovered((), "its answer was too large")
        if answer.status_code >= 400:
            return Discovered((), f"it answered HTTP {answer.status_code}")
        data: Any = json.loads(body) if body else None
    except (httpx.HTTPError, ValueError) as exc:
        return Discovered((), "no answer" if isinstance(exc, httpx.HTTPError) else "its answer is not JSON")
    items = data.get(discovery.list_key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return Discovered((), "its answer has no model list")
    ids = [item.get(discovery.id_key) for item in items if isinstance(item, dict)]
    models = tuple(dict.fromkeys(i for i in ids if isinstance(i, str) and i and len(i) <= 200 and i.isprintable()))
    return Discovered(models[:MAX_MODELS], "" if models else "it lists no models")
