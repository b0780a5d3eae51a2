"""The API-key choices that need more than a key (reference section 10) and the plain-key providers CoderClaw
lists, typed through the wizard at 80x24: what lands in the store (with `metadata`), in `coderclaw.json`
(`models.providers`) and, for OpenAI, in the shared `.env`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static
from wizard_helpers import MakeServices, confirm_and_check_disk, read_json, wait_for, wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.flows.onboarding import WizardStart

SMALL = (80, 24)
KEY = "sk-test-" + "k3y" * 10


async def fill_in(pilot: Any, values: list[str], key: str = KEY) -> None:
    """Type each extra field (replacing its default), then the key, moving on with Tab; Enter submits."""
    await wait_for_screen(pilot, "ApiKeyScreen")
    for value in values:
        await pilot.press("ctrl+u", *value, "tab")
    await pilot.press(*key, "enter")


def start(provider: str) -> WizardStart:
    return WizardStart(agent_id="main", provider_id=provider, method_id="api-key")


async def test_cloudflare_ai_gateway_ids_go_to_metadata_and_the_config(
    make_services: MakeServices, state_dir: Path
) -> None:
    async with make_app(make_services(), start("cloudflare-ai-gateway")).run_test(size=SMALL) as pilot:
        await fill_in(pilot, ["acct123", "gw-main"])
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record == {
        "type": "api_key",
        "provider": "cloudflare-ai-gateway",
        "key": KEY,
        "metadata": {"accountId": "acct123", "gatewayId": "gw-main"},
    }
    provider = read_json(state_dir / "coderclaw.json")["models"]["providers"]["cloudflare-ai-gateway"]
    assert provider["baseUrl"] == "https://gateway.ai.cloudflare.com/v1/acct123/gw-main/anthropic"
    assert "apiKey" not in provider and provider["models"][0]["id"] == "claude-sonnet-4-5"


async def test_vllm_base_url_and_model(make_services: MakeServices, state_dir: Path) -> None:
    async with make_app(make_services(), start("vllm")).run_test(size=SMALL) as pilot:
        await fill_in(pilot, ["http://gpu-box:8000/v1/", "meta-llama/Llama-3.3-70B"], key="anything")
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record == {"type": "api_key", "provider": "vllm", "key": "anything"}
    config = read_json(state_dir / "coderclaw.json")
    provider = config["models"]["providers"]["vllm"]
    assert provider["baseUrl"] == "http://gpu-box:8000/v1" and provider["apiKey"] == "VLLM_API_KEY"
    assert provider["models"][0]["id"] == "meta-llama/Llama-3.3-70B"
    assert config["agents"]["defaults"]["model"]["primary"] == "vllm/meta-llama/Llama-3.3-70B"


async def test_a_bad_base_url_is_named_and_nothing_is_written(make_services: MakeServices, state_dir: Path) -> None:
    async with make_app(make_services(), start("vllm")).run_test(size=SMALL) as pilot:
        await fill_in(pilot, ["gpu-box:8000", "model-a"], key="anything")
        problem = pilot.app.screen.query_one("#api-key-problem", Static)
        await wait_for(pilot, lambda: str(problem.content), "the problem line")
        assert str(problem.content) == "vLLM base URL must be an http:// or https:// URL, like http://127.0.0.1:8000/v1."
        assert type(pilot.app.screen).__name__ == "ApiKeyScreen"
    assert not (state_dir / "coderclaw.json").exists()


async def test_litellm_keeps_the_default_proxy(make_services: MakeServices, state_dir: Path) -> None:
    async with make_app(make_services(), start("litellm")).run_test(size=SMALL) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.press("tab", *KEY, "enter")
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record == {"type": "api_key", "provider": "litellm", "key": KEY}
    config = read_json(state_dir / "coderclaw.json")
    assert config["models"]["providers"]["litellm"]["baseUrl"] == "http://localhost:4000"
    assert config["agents"]["defaults"]["models"]["litellm/claude-opus-4-6"] == {"alias": "LiteLLM"}


async def test_custom_provider_lives_in_the_config_only(make_services: MakeServices, state_dir: Path) -> None:
    async with make_app(make_services(), start("custom")).run_test(size=SMALL) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.press("ctrl+u", *"http://127.0.0.1:11434/v1", "tab", "tab", *"qwen3:8b", "tab")
        await pilot.press("ctrl+u", *"local-ollama", "tab", "enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        assert "CoderClaw keeps this provider's key in the config" in str(pilot.app.screen.query_one("#plan-store").content)
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")
    config = read_json(state_dir / "coderclaw.json")
    provider = config["models"]["providers"]["local-ollama"]
    assert provider["baseUrl"] == "http://127.0.0.1:11434/v1" and provider["api"] == "openai-completions"
    assert "apiKey" not in provider and provider["models"][0]["name"] == "qwen3:8b (Custom Provider)"
    assert config["models"]["mode"] == "merge"
    assert config["agents"]["defaults"]["model"]["primary"] == "local-ollama/qwen3:8b"
    assert "auth" not in config
    assert not (state_dir / "agents/main/agent/auth-profiles.json").exists()


async def test_a_custom_endpoint_id_taken_for_another_base_url_gets_a_suffix(
    make_services: MakeServices, state_dir: Path
) -> None:
    """CoderClaw's rule: `lab` already names another base URL, so this endpoint is saved as `lab-2`, said on the
    confirm step, and `lab` is left exactly as it was."""
    state_dir.mkdir(parents=True)
    lab = {"baseUrl": "http://10.0.0.5:8000/v1", "api": "openai-completions", "apiKey": "FAKE-lab", "models": [{"id": "big"}]}
    (state_dir / "coderclaw.json").write_text(json.dumps({"models": {"providers": {"lab": lab}}}))
    async with make_app(make_services(), start("custom")).run_test(size=SMALL) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.press("ctrl+u", *"http://127.0.0.1:11434/v1", "tab", "tab", *"qwen3:8b", "tab")
        await pilot.press("ctrl+u", *"lab", "tab", "enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        identity = str(pilot.app.screen.query_one("#identity").content)
        assert "lab is already the id of an entry with another baseUrl, so this one is saved as lab-2" in identity
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")
    providers = read_json(state_dir / "coderclaw.json")["models"]["providers"]
    assert providers["lab"] == lab
    assert providers["lab-2"]["baseUrl"] == "http://127.0.0.1:11434/v1"
    assert read_json(state_dir / "coderclaw.json")["agents"]["defaults"]["model"]["primary"] == "lab-2/qwen3:8b"


async def test_openai_key_is_also_written_to_the_shared_env_file(make_services: MakeServices, state_dir: Path) -> None:
    env_file = state_dir / ".env"
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text("export OPENAI_API_KEY=old\nOTHER=1\n")
    async with make_app(make_services(), start("openai")).run_test(size=SMALL) as pilot:
        await fill_in(pilot, [])
        await confirm_and_check_disk(pilot, state_dir)
    assert env_file.read_text() == f"export OPENAI_API_KEY={KEY}\nOTHER=1\n"
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "provider", ["minimax", "qianfan", "vercel-ai-gateway", "xiaomi", "synthetic", "together", "huggingface"]
)
async def test_plain_key_providers(make_services: MakeServices, state_dir: Path, provider: str) -> None:
    async with make_app(make_services(), start(provider)).run_test(size=SMALL) as pilot:
        await fill_in(pilot, [])
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record == {"type": "api_key", "provider": provider, "key": KEY}
    assert read_json(state_dir / "coderclaw.json")["auth"]["profiles"][f"{provider}:default"]["mode"] == "api_key"


async def test_local_ollama_writes_config_and_the_env_placeholder(make_services: MakeServices, state_dir: Path) -> None:
    """CoderClaw's `local` choice, Ollama side: no key asked, `OLLAMA_API_KEY=ollama-local` in `.env`, no profile."""
    async with make_app(make_services(), start("ollama")).run_test(size=SMALL) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.pause()
        assert not pilot.app.screen.query("#api-key")
        await pilot.press("tab", "ctrl+u", *"qwen2.5-coder:7b", "enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")
    config = read_json(state_dir / "coderclaw.json")
    provider = config["models"]["providers"]["ollama"]
    assert provider["baseUrl"] == "http://127.0.0.1:11434" and provider["api"] == "ollama"
    assert provider["apiKey"] == "OLLAMA_API_KEY" and provider["models"][0]["id"] == "qwen2.5-coder:7b"
    assert config["agents"]["defaults"]["model"]["primary"] == "ollama/qwen2.5-coder:7b"
    assert (state_dir / ".env").read_text() == "OLLAMA_API_KEY=ollama-local\n"
    assert not (state_dir / "agents/main/agent/auth-profiles.json").exists()
