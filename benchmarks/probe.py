"""`models status --probe` over many credentials, as a ratio to the time the probes must take at the least: the
slowest single probe times the number of rounds the concurrency allows (20 credentials, 4 at a time: 5 rounds).

A loopback server stands in for the provider (`$CODERCLAW_OPENAI_API_BASE` points the probes at it) and answers
each free request after a fixed delay, so the ideal is known. The figure is the probe phase as the command reports
it (`auth.probes.durationMs`) against the slowest probe's `latencyMs` x rounds; the whole command's wall time,
start-up included, is printed beside it. Goal: at most 1.3x.

    python benchmarks/probe.py [--credentials 20] [--concurrency 4] [--delay-ms 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GOAL = 1.3


class SlowModels(BaseHTTPRequestHandler):
    """`GET /v1/models` answered 200 after the server's delay; the provider's free listing, slowed down."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        time.sleep(self.server.delay_s)  # type: ignore[attr-defined]
        body = b'{"object": "list", "data": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def write_store(state: Path, credentials: int) -> None:
    agent = state / "agents" / "main" / "agent"
    agent.mkdir(parents=True, mode=0o700)
    profiles = {
        f"openai:bench{i:02d}": {"type": "api_key", "provider": "openai", "key": f"sk-FAKE-probe-bench-{i:04d}"}
        for i in range(credentials)
    }
    store = agent / "auth-profiles.json"
    store.write_text(json.dumps({"version": 1, "profiles": profiles}, indent=2) + "\n")
    store.chmod(0o600)


def coderclaw_command() -> list[str]:
    script = Path(sys.executable).with_name("coderclaw")
    return [str(script)] if script.exists() else [sys.executable, "-m", "coderclaw_tui"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--delay-ms", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowModels)
    server.daemon_threads = True
    server.delay_s = args.delay_ms / 1000  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ratios, phases, walls, slowest = [], [], [], []
    waves = math.ceil(args.credentials / args.concurrency)
    try:
        with tempfile.TemporaryDirectory(prefix="coderclaw-bench-") as tmp:
            state = Path(tmp) / "state"
            write_store(state, args.credentials)
            env = {k: v for k, v in os.environ.items() if not k.startswith("CODERCLAW_") and not k.endswith("_API_KEY")}
            env.update(
                CODERCLAW_STATE_DIR=str(state),
                HOME=tmp,
                XDG_STATE_HOME=str(Path(tmp) / "xdg"),
                CODERCLAW_OPENAI_API_BASE=f"http://127.0.0.1:{server.server_address[1]}/v1",
            )
            argv = [*coderclaw_command(), "models", "status", "--json", "--probe"]
            argv += ["--probe-concurrency", str(args.concurrency), "--probe-timeout", str(args.delay_ms * 10)]
            for _ in range(args.rounds):
                started = time.perf_counter()
                done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
                wall = time.perf_counter() - started
                if done.returncode not in (0, 1, 2):
                    raise SystemExit(f"models status --probe failed ({done.returncode}): {done.stderr.strip()}")
                probes = json.loads(done.stdout)["auth"]["probes"]
                results = [r for r in probes["results"] if r["profileId"]]
                if len(results) != args.credentials or any(r["status"] != "ok" for r in results):
                    raise SystemExit(f"expected {args.credentials} ok probes, got {[r['status'] for r in results]}")
                worst = max(r["latencyMs"] for r in results)
                ideal = worst * waves
                phases.append(probes["durationMs"])
                walls.append(wall * 1000)
                slowest.append(worst)
                ratios.append(probes["durationMs"] / ideal)
    finally:
        server.shutdown()

    ratio = statistics.median(ratios)
    print(
        f"models status --probe: {args.credentials} credentials, {args.concurrency} at a time, server delay "
        f"{args.delay_ms} ms, median of {args.rounds} runs, python {sys.version.split()[0]}"
    )
    print(f"slowest single probe      {statistics.median(slowest):8.0f} ms")
    print(f"ideal (slowest x {waves})       {statistics.median(slowest) * waves:8.0f} ms")
    print(f"probe phase               {statistics.median(phases):8.0f} ms   {ratio:.2f}x  goal {GOAL}x  {'PASS' if ratio <= GOAL else 'MISS'}")
    print(f"whole command (start-up)  {statistics.median(walls):8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
