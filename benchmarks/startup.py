"""Start-up of the scriptable commands, as ratios to baselines measured in the same run.

Scripts call `coderclaw models auth token` and `coderclaw models status` often, so their start-up matters. The
goals: each at most 3x a bare `python -c pass`, and at most 1.0x `gh auth token` (a Go binary doing the same job)
when `gh` is on PATH (nothing is installed for this; its absence is said); `models status` on a store of
`--large` profiles at most 2x the same command on `--profiles` profiles (its `--json` form is timed too, with no
goal: scripts read that one). These machines are noisy: the commands run interleaved, many rounds, and the median
is reported.

    python benchmarks/startup.py [--rounds 30] [--profiles 50] [--large 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_VS_PYTHON = 3.0
GOAL_VS_GH = 1.0
GOAL_LARGE_STATUS = 2.0
FAR_FUTURE_MS = 4102444800000  # 2100-01-01: nothing expires, so no command refreshes or touches the network


def build_store(agent_dir: Path, count: int) -> str:
    """A realistic store: a mix of credential types over several providers; returns a provider with an api key."""
    kinds = ["api_key", "token", "oauth"]
    providers = ["anthropic", "openai", "openai-codex", "google-gemini-cli", "github-copilot"]
    profiles: dict[str, dict[str, object]] = {}
    usage: dict[str, dict[str, object]] = {}
    for i in range(count):
        provider = providers[i % len(providers)]
        kind = kinds[i % len(kinds)]
        profile_id = f"{provider}:bench{i:03d}"
        record: dict[str, object] = {"type": kind, "provider": provider}
        if kind == "api_key":
            record["key"] = f"sk-FAKE-bench-key-{i:03d}-" + "k" * 40
        elif kind == "token":
            record.update(token=f"FAKE-bench-token-{i:03d}-" + "t" * 60, expires=FAR_FUTURE_MS)
        else:
            record.update(
                access=f"eyJFAKE.bench-{i:03d}." + "a" * 200,
                refresh=f"rt_FAKE-bench-{i:03d}-" + "r" * 40,
                expires=FAR_FUTURE_MS,
                email=f"user{i}@example.test",
            )
        profiles[profile_id] = record
        usage[profile_id] = {"lastUsed": 1736160000000 + i, "errorCount": 0}
    store = {
        "version": 1,
        "profiles": profiles,
        "order": {"anthropic": [p for p in profiles if p.startswith("anthropic:")][:3]},
        "lastGood": {"anthropic": next(p for p in profiles if p.startswith("anthropic:"))},
        "usageStats": usage,
    }
    agent_dir.mkdir(parents=True, mode=0o700)
    (agent_dir / "auth-profiles.json").write_text(json.dumps(store, indent=2) + "\n")
    (agent_dir / "auth-profiles.json").chmod(0o600)
    return "anthropic"


def coderclaw_command() -> list[str]:
    """The venv's console script next to this interpreter, as users run it; else `python -m coderclaw_tui`."""
    script = Path(sys.executable).with_name("coderclaw")
    if script.exists() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("coderclaw", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "coderclaw_tui"]


def time_once(argv: list[str], env: dict[str, str], check: bool = True) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if check and result.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.decode(errors='replace').strip()}"
        )
    return elapsed


def verdict(ratio: float, goal: float) -> str:
    return f"{goal:.1f}x  {'PASS' if ratio <= goal else 'MISS'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profiles", type=int, default=50)
    parser.add_argument("--large", type=int, default=2000, help="profiles in the large store")
    args = parser.parse_args()

    gh = shutil.which("gh")
    with tempfile.TemporaryDirectory(prefix="coderclaw-bench-") as tmp:
        small, large = Path(tmp) / "small", Path(tmp) / "large"
        provider = build_store(small / "agents" / "main" / "agent", args.profiles)
        build_store(large / "agents" / "main" / "agent", args.large)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODERCLAW_") and k != "PI_CODING_AGENT_DIR"}
        env.update(CODERCLAW_STATE_DIR=str(small), HOME=tmp, XDG_STATE_HOME=str(Path(tmp) / "xdg"))
        large_env = {**env, "CODERCLAW_STATE_DIR": str(large)}
        cli = coderclaw_command()
        token_case = f"coderclaw models auth token --provider {provider}"
        status_case = f"coderclaw models status ({args.profiles} profiles)"
        large_case = f"coderclaw models status ({args.large} profiles)"
        large_json_case = f"coderclaw models status --json ({args.large} profiles)"
        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], env),
            token_case: ([*cli, "models", "auth", "token", "--provider", provider], env),
            status_case: ([*cli, "models", "status"], env),
            large_case: ([*cli, "models", "status"], large_env),
            large_json_case: ([*cli, "models", "status", "--json"], large_env),
        }
        if gh:  # its exit code does not matter (no gh login here): its start-up and token look-up are the point
            cases["gh auth token"] = ([gh, "auth", "token"], {**env, "GH_CONFIG_DIR": str(Path(tmp) / "gh")})
        for name, (argv, case_env) in cases.items():  # warm the OS caches and .pyc files; not counted
            time_once(argv, case_env, check=name != "gh auth token")
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (argv, case_env) in cases.items():  # interleaved, so drift hits every case alike
                samples[name].append(time_once(argv, case_env, check=name != "gh auth token"))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["python -c pass"]
    print(f"start-up, median of {args.rounds} interleaved rounds")
    print(f"command: {' '.join(cli)}   python: {sys.version.split()[0]}")
    print()
    width = max(len(name) for name in cases) + 2
    print(f"{'case'.ljust(width)}  {'median':>9}  {'vs python':>9}  goal  result")
    for name, median in medians.items():
        ratio = median / baseline
        line = f"{name.ljust(width)}  {median * 1000:7.1f}ms  {ratio:8.2f}x"
        if name in (token_case, status_case):
            line += f"  {verdict(ratio, GOAL_VS_PYTHON)}"
        print(line)
    print()
    for name in (token_case, status_case):
        if gh:
            ratio = medians[name] / medians["gh auth token"]
            print(f"{name} vs gh auth token: {ratio:.2f}x  goal {verdict(ratio, GOAL_VS_GH)}")
        else:
            print(f"{name} vs gh auth token: gh is not installed here; not measured")
    ratio = medians[large_case] / medians[status_case]
    print(f"models status, {args.large} vs {args.profiles} profiles: {ratio:.2f}x  goal {verdict(ratio, GOAL_LARGE_STATUS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
