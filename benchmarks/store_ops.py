"""Store operations per second under CoderClaw's lock (lock, re-read, mutate, atomic write with fsync),
against the same number of plain unlocked, non-atomic rewrites of the same file measured in the same run.

    python benchmarks/store_ops.py [operations]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from coderclaw_tui.core.sink import TokenSink


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as state:
        os.environ["CODERCLAW_STATE_DIR"] = state
        sink = TokenSink()
        for i in range(50):
            sink.upsert("main", f"openai:p{i}", {"type": "api_key", "provider": "openai", "key": f"sk-bench-{i:040d}"})
        path = sink.store_path("main")
        text = path.read_text()
        start = time.perf_counter()
        for _ in range(count):
            Path(path).write_text(text)
        plain = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(count):
            sink.mark_used("main", f"openai:p{i % 50}")
        locked = time.perf_counter() - start
    print(f"plain rewrite:              {count / plain:8.0f} ops/s")
    print(f"locked read-modify-write:   {count / locked:8.0f} ops/s  ({locked / plain:.1f}x the plain rewrite's time)")


if __name__ == "__main__":
    main()
