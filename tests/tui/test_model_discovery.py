"""Ollama and vLLM, as CoderClaw: the server the user names is asked for its models (Ollama's /api/tags,
vLLM's /models with the key), offered as completions of the model field; a server that does not answer, or
answers nonsense, only means the user types the id. A real HTTP server on loopback plays the model server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input
from wizard_helpers import MakeServices, read_json, text, wait_for, wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.flows.onboarding import WizardStart

SMALL = (80, 24)


class ModelServer:
    """Answers GET with `answers[path]` (status, body); records each request's path and Authorization."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, bytes]] = {}
        self.seen: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                server.seen.append((self.path, self.headers.get("Authorization")))
                status, body = server.answers.get(self.path, (404, b"{}"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    server = ModelServer()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def start(provider: str) -> WizardStart:
    return WizardStart(agent_id="main", provider_id=provider, method_id="api-key")


def tags(*names: str) -> tuple[int, bytes]:
    return 200, json.dumps({"models": [{"name": n, "size": 1} for n in names]}).encode()


async def test_ollama_offers_the_servers_models_as_completions(
    make_services: MakeServices, state_dir: Path, model_server: ModelServer
) -> None:
    model_server.answers["/api/tags"] = tags("llama3.3:latest", "qwen3:8b", "qwen2.5-coder:7b")
    async with make_app(make_services(), start("ollama")).run_test(size=SMALL) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.press("ctrl+u", *model_server.url, *"/v1")  # typed key by key; a /v1 is taken off for Ollama
        await wait_for(pilot, lambda: "3 at" in text(pilot, "#model-discovery"), "the models found", timeout=10)
        assert text(pilot, "#model-discovery").startswith(f"3 at {model_server.url}/api/tags: llama3.3:latest, qwen3:8b")
        await pilot.press("tab", "ctrl+u", "q", "w", "e", "n", "3")
        await pilot.pause(0.2)
        await pilot.press("right")  # takes the suggestion
        assert pilot.app.screen.query_one("#field-modelId", Input).value == "qwen3:8b"
        await pilot.press("enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")
    assert read_json(state_dir / "coderclaw.json")["agents"]["defaults"]["model"]["primary"] == "ollama/qwen3:8b"
    assert all(path == "/api/tags" for path, _ in model_server.seen)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [((500, b"{}"), "it answered HTTP 500"), ((200, b"<html>"), "its answer is not JSON"), ((200, b"[1]"), "no model list")],
)
async def test_a_server_without_a_usable_list_leaves_the_field_to_the_user(
    make_services: MakeServices, model_server: ModelServer, answer: tuple[int, bytes], reason: str
) -> None:
    model_server.answers["/api/tags"] = answer
    async with make_app(make_services(), start("ollama")).run_test(size=SMALL) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.press("ctrl+u", *model_server.url)
        await wait_for(pilot, lambda: "No model list" in text(pilot, "#model-discovery"), "the hint", timeout=10)
        assert reason in text(pilot, "#model-discovery") and "type the model id" in text(pilot, "#model-discovery")
        assert pilot.app.screen.query_one("#field-modelId", Input).suggester is None


async def test_vllm_asks_with_the_key_typed(make_services: MakeServices, model_server: ModelServer) -> None:
    model_server.answers["/v1/models"] = (200, json.dumps({"data": [{"id": "meta-llama/Llama-3.3-70B"}]}).encode())
    async with make_app(make_services(), start("vllm")).run_test(size=SMALL) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.press("ctrl+u", *model_server.url, *"/v1", "tab", "tab", *"secret-1")
        await wait_for(pilot, lambda: ("/v1/models", "Bearer secret-1") in model_server.seen, "a request with the key")
        await wait_for(pilot, lambda: "1 at" in text(pilot, "#model-discovery"), "the model found", timeout=10)
