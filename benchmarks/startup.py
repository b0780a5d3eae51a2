"""Start-up of the scriptable commands, as a ratio to a bare `python -c pass` measured in the same run.

Scripts call `coderclaw models auth token` and `coderclaw models status` often, so their start-up matters.
These machines are noisy: the three commands are run interleaved, many rounds, and the median is reported.

    python benchmarks/startup.py [--rounds 30] [--profiles 50]
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

GOAL = 5.0
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


def time_once(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.decode(errors='replace').strip()}"
        )
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profiles", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coderclaw-bench-") as tmp:
        state = Path(tmp) / "state"
        provider = build_store(state / "agents" / "main" / "agent", args.profiles)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODERCLAW_") and k != "PI_CODING_AGENT_DIR"}
        env.update(CODERCLAW_STATE_DIR=str(state), HOME=tmp, XDG_STATE_HOME=str(Path(tmp) / "xdg"))
        cli = coderclaw_command()
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            f"coderclaw models auth token --provider {provider}": [
                *cli,
                "models",
                "auth",
                "token",
                "--provider",
                provider,
            ],
            "coderclaw models status": [*cli, "models", "status"],
        }
        for argv in cases.values():  # warm the OS caches and .pyc files; not counted
            time_once(argv, env)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, argv in cases.items():  # interleaved, so drift hits every case alike
                samples[name].append(time_once(argv, env))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["python -c pass"]
    print(f"start-up, median of {args.rounds} interleaved rounds, store with {args.profiles} profiles")
    print(f"command: {' '.join(cli)}   python: {sys.version.split()[0]}")
    print()
    width = max(len(name) for name in cases)
    print(f"{'case'.ljust(width)}  {'median':>9}  {'ratio':>6}  goal  result")
    for name, median in medians.items():
        ratio = median / baseline
        if name == "python -c pass":
            print(f"{name.ljust(width)}  {median * 1000:7.1f}ms  {ratio:5.2f}x  base")
            continue
        verdict = "PASS" if ratio <= GOAL else "MISS"
        print(f"{name.ljust(width)}  {median * 1000:7.1f}ms  {ratio:5.2f}x  {GOAL:.0f}x    {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
