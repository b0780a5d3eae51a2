"""`models status --probe` (SPEC 7) against a real loopback server: one status per kind of answer, a total time
bounded by the timeout, the right free request per credential, and no secret or server text in any output."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from probe_server import ProbeServer
from test_commands import RunCli, agent_store, api_key, now_ms, oauth, token, write_config, write_store
from test_refresh import PROFILE, store_expired_credential

from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.core.probes import ProbeTarget, run_probes
from coderclaw_tui.providers.probe_table import ProbeSpec, base_url_variable

SECRETS = {
    "openai": "sk-proj-FAKEopenaiSECRET00000001",
    "anthropic": "sk-ant-api03-FAKEanthropicSECRET0002",
    "google": "AIzaFAKEgoogleSECRET000000003",
    "openrouter": "sk-or-FAKEopenrouterSECRET0004",
    "xai": "xai-FAKExaiSECRET000000000005",
    "mistral": "FAKEmistralSECRET00000000006",
    "groq": "gsk_FAKEgroqSECRET0000000007",
}
BEHAVIOUR = {"openai": "200", "anthropic": "401", "google": "403", "openrouter": "429", "xai": "402", "mistral": "hang", "groq": "reset"}
EXPECTED = {"openai": "ok", "anthropic": "auth", "google": "auth", "openrouter": "rate_limit", "xai": "billing", "mistral": "timeout", "groq": "timeout"}
SETUP_TOKEN = "sk-ant-oat01-" + "FAKEsetupTOKEN" * 6


@pytest.fixture
def server(no_provider_keys: None) -> Iterator[ProbeServer]:
    """The loopback server, and no provider key inherited from the developer's environment (it would be probed)."""
    with ProbeServer() as running:
        yield running


def point(server: ProbeServer, monkeypatch: pytest.MonkeyPatch, behaviours: dict[str, str]) -> None:
    for provider, behaviour in behaviours.items():
        monkeypatch.setenv(base_url_variable(provider), server.url(behaviour))


def probe(run_cli: RunCli, *extra: str) -> tuple[dict[str, Any], Any]:
    result = run_cli("models", "status", "--json", "--probe", *extra)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return json.loads(result.stdout)["auth"]["probes"], result


def by_profile(probes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["profileId"] or r["label"]: r for r in probes["results"]}


def test_each_kind_of_answer_gets_its_status_within_the_timeout(
    state_dir: Path, run_cli: RunCli, server: ProbeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_store(agent_store(state_dir), {f"{p}:default": api_key(p, s) for p, s in SECRETS.items()})
    point(server, monkeypatch, BEHAVIOUR)
    started = time.monotonic()
    probes, result = probe(run_cli, "--probe-timeout", "1500", "--probe-concurrency", "8")
    elapsed = time.monotonic() - started
    results = by_profile(probes)
    assert {p: results[f"{p}:default"]["status"] for p in SECRETS} == EXPECTED
    assert elapsed < 10, "the hanging server holds its answer for 60 s; the probe must give up at its timeout"
    assert 1000 <= results["mistral:default"]["latencyMs"] < 8000
    assert all(isinstance(r["latencyMs"], int) for r in probes["results"])
    assert probes["totalTargets"] == 7 and probes["options"]["timeoutMs"] == 1500 and probes["options"]["concurrency"] == 8
    assert results["anthropic:default"]["httpStatus"] == 401
    assert results["anthropic:default"]["error"] == "HTTP 401: the credential was refused (authentication_error)."
    assert results["groq:default"]["error"].startswith("The connection to 127.0.0.1:")
    text = run_cli("models", "status", "--check", "--probe", "--probe-timeout", "1500", "--probe-concurrency", "8")
    assert text.returncode == 0, "as in CoderClaw, --check judges the stored state; probe results do not change it"
    assert "Auth probes" in text.stdout and "Probed 7 target(s) in" in text.stdout
    assert "rate_limit · " in text.stdout
    for output in (result.stdout, text.stdout, text.stderr):
        for secret in SECRETS.values():
            assert secret not in output and secret[-12:] not in output
        assert "bad credential" not in output and "\x1b" not in output and "\u202e" not in output


def test_probes_send_the_free_request_each_credential_needs(
    state_dir: Path, run_cli: RunCli, server: ProbeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hour_ahead = now_ms() + 3600_000
    write_store(
        agent_store(state_dir),
        {
            "anthropic:work": token("anthropic", SETUP_TOKEN),
            "anthropic:default": api_key("anthropic", SECRETS["anthropic"]),
            "openai-codex:default": oauth("openai-codex", hour_ahead, accountId="acct_0001", email="me@example.com"),
            "github-copilot:github": token("github-copilot", "gho_FAKEgithubTOKEN0000000009"),
        },
    )
    point(server, monkeypatch, {"anthropic": "scope403", "openai-codex": "200", "github-copilot": "401"})
    probes, _ = probe(run_cli)
    results = by_profile(probes)
    assert results["anthropic:work"]["status"] == "ok", "a 403 for the missing user:profile scope proves the token authenticated"
    assert results["anthropic:default"]["status"] == "auth"
    assert results["openai-codex:default"]["status"] == "ok"
    assert results["openai-codex:default"]["label"] == "openai-codex:default (me@example.com)"
    assert results["github-copilot:github"]["status"] == "auth"
    seen = {(s.method, s.path): s.headers for s in server.seen}
    assert seen[("GET", "/scope403/api/oauth/usage")]["authorization"] == f"Bearer {SETUP_TOKEN}"
    assert seen[("GET", "/scope403/api/oauth/usage")]["anthropic-beta"] == "oauth-2025-04-20"
    assert seen[("GET", "/scope403/v1/models")]["x-api-key"] == SECRETS["anthropic"]
    assert seen[("GET", "/scope403/v1/models")]["anthropic-version"] == "2023-06-01"
    assert seen[("GET", "/200/wham/usage")]["chatgpt-account-id"] == "acct_0001"
    assert seen[("GET", "/401/copilot_internal/user")]["authorization"] == "token gho_FAKEgithubTOKEN0000000009"
    assert all(method == "GET" for method, _ in seen), "no completion is ever posted"


def test_an_expired_oauth_token_is_not_probed_or_refreshed_without_refresh(
    state_dir: Path, run_cli: RunCli, server: ProbeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = write_store(agent_store(state_dir), {"openai-codex:default": oauth("openai-codex", now_ms() - 120_000)})
    before = store.read_bytes()
    monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", server.url("200"))
    point(server, monkeypatch, {"openai-codex": "200"})
    probes, _ = probe(run_cli)
    (result,) = probes["results"]
    assert result["status"] == "unknown" and "--refresh" in result["error"] and result["latencyMs"] is None
    assert server.seen == [] and store.read_bytes() == before


def test_refresh_goes_through_the_locked_path_once_then_probes(
    state_dir: Path, run_cli: RunCli, server: ProbeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxIssuer() as issuer:
        monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", issuer.base_url)
        old = store_expired_credential(issuer)
        point(server, monkeypatch, {"openai-codex": "200"})
        probes, result = probe(run_cli, "--refresh")
        assert issuer.refresh_count == 1
    (answer,) = probes["results"]
    assert answer["status"] == "ok" and probes["options"]["refresh"] is True
    record = json.loads(agent_store(state_dir).read_text())["profiles"][PROFILE]
    assert record["access"] != old["access"]
    (request,) = server.seen
    assert request.headers["authorization"] == f"Bearer {record['access']}"
    assert record["access"] not in result.stdout and record["refresh"] not in result.stdout


def test_plan_time_results_come_first_and_say_why(
    state_dir: Path, run_cli: RunCli, server: ProbeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_store(
        agent_store(state_dir),
        {
            "openai:default": api_key("openai", SECRETS["openai"]),
            "openai:spare": api_key("openai", "sk-proj-FAKEspareSECRET000000010"),
            "venice:default": api_key("venice", "FAKEveniceSECRET0000000011"),
            "openai-codex:old": {**oauth("openai-codex", now_ms() + 3600_000), "needsRelogin": "invalid_grant"},
        },
        order={"openai": ["openai:default"]},
    )
    point(server, monkeypatch, {"openai": "200"})
    probes, _ = probe(run_cli)
    statuses = [(r["profileId"], r["status"]) for r in probes["results"]]
    assert statuses[-1] == ("openai:default", "ok")
    results = by_profile(probes)
    assert results["openai:spare"]["error"].startswith("Excluded by auth.order")
    assert results["venice:default"]["status"] == "unknown" and "No free check" in results["venice:default"]["error"]
    assert results["openai-codex:old"]["status"] == "auth"
    assert "coderclaw models auth login --provider openai-codex" in results["openai-codex:old"]["error"]
    assert len(server.seen) == 1


def test_filters_env_keys_and_configured_endpoints(
    state_dir: Path, run_cli: RunCli, server: ProbeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_store(
        agent_store(state_dir),
        {"vllm:default": api_key("vllm", "FAKEvllmKEY000000012"), "google:default": api_key("google", SECRETS["google"])},
    )
    write_config(state_dir, {"models": {"providers": {"vllm": {"baseUrl": server.url("200") + "/v1/", "api": "openai-completions"}}}})
    monkeypatch.setenv("OPENAI_API_KEY", SECRETS["openai"])
    point(server, monkeypatch, {"openai": "401", "google": "200"})
    probes, result = probe(run_cli)
    results = by_profile(probes)
    assert results["vllm:default"]["status"] == "ok"
    assert results["env:OPENAI_API_KEY"]["status"] == "auth" and results["env:OPENAI_API_KEY"]["source"] == "env"
    assert ("GET", "/200/v1/models") in {(s.method, s.path) for s in server.seen}
    assert SECRETS["openai"] not in result.stdout
    only, _ = probe(run_cli, "--probe-profile", "google:default,vllm:default", "--probe-provider", "google")
    assert [r["profileId"] for r in only["results"]] == ["google:default"]
    assert only["options"]["provider"] == "google" and only["options"]["profileIds"] == ["google:default", "vllm:default"]


def test_terminal_text_is_escaped(state_dir: Path, run_cli: RunCli, server: ProbeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = oauth("openai-codex", now_ms() + 3600_000, email="me\x1b]0;pwned\x07@example.com\u202e")
    write_store(agent_store(state_dir), {"openai-codex:default": hostile})
    point(server, monkeypatch, {"openai-codex": "200"})
    result = run_cli("models", "status", "--probe")
    assert result.returncode == 0, result.stderr
    probe_part = result.stdout.split("Auth probes", 1)[1]
    assert "\\x1b]0;pwned\\x07" in probe_part and "\\u202e" in probe_part
    assert "\x1b" not in probe_part and "\u202e" not in probe_part


def test_no_targets(run_cli: RunCli, server: ProbeServer) -> None:
    result = run_cli("models", "status", "--probe")
    assert result.returncode == 0 and "No probe targets." in result.stdout
    probes, _ = probe(run_cli)
    assert probes["totalTargets"] == 0 and probes["results"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--probe", "--probe-timeout", "0"), "argument --probe-timeout: must be a positive whole number (milliseconds)"),
        (("--probe", "--probe-concurrency", "two"), "argument --probe-concurrency: must be a positive whole number"),
        (("--refresh",), "--refresh only applies to live probes; add --probe."),
        (("--probe-provider", "openai"), "--probe-provider only applies to live probes; add --probe."),
        (("--probe", "--probe-profile", "openai:nobody"), "No profile openai:nobody for agent main"),
    ],
)
def test_bad_probe_options_are_usage_errors(run_cli: RunCli, args: tuple[str, ...], message: str) -> None:
    result = run_cli("models", "status", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


async def test_concurrency_bounds_how_many_probes_are_in_flight(server: ProbeServer) -> None:
    spec = ProbeSpec(server.url("hang"), "/models")
    targets = [ProbeTarget("openai", f"openai:{n}", f"openai:{n}", "profile", "api_key", "FAKE", {}, spec) for n in range(4)]
    started = time.monotonic()
    results = await run_probes(targets, timeout_ms=500, concurrency=2)
    elapsed = time.monotonic() - started
    assert [r.status for r in results] == ["timeout"] * 4
    assert 0.95 <= elapsed < 10, "two at a time, each given up after 0.5 s: two rounds"


def test_a_refused_refresh_reports_auth_and_probes_nothing(
    state_dir: Path, run_cli: RunCli, server: ProbeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxIssuer() as issuer:
        monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", issuer.base_url)
        store_expired_credential(issuer)
        issuer.fail_next_refresh("invalid_grant")
        point(server, monkeypatch, {"openai-codex": "200"})
        probes, _ = probe(run_cli, "--refresh")
    (answer,) = probes["results"]
    assert answer["status"] == "auth" and "coderclaw models auth login --provider openai-codex" in answer["error"]
    assert server.seen == []
