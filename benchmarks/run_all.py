"""Every benchmark, one after the other, from a regular install of this checkout: the run the README's table
quotes. The checkout is copied (without .git, virtualenvs and caches) and installed with `pip install` into a
fresh virtualenv in a temporary dir, so nothing is built inside the checkout, and every script then runs with
that virtualenv's interpreter from outside the checkout (so `import coderclaw_tui` is the installed copy).

    python benchmarks/run_all.py [--only startup,probe]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = {
    "startup": ["startup.py"],
    "wizard": ["wizard_startup.py"],
    "browser": ["profiles_browser.py", "--rounds", "9"],
    "probe": ["probe.py"],
    "stampede": ["refresh_stampede.py", "16"],
    "store": ["store_ops.py"],
}
SKIP = shutil.ignore_patterns(".git", ".venv*", "venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis")


def install(into: Path) -> Path:
    """A fresh virtualenv in `into` with this checkout installed as users install it; returns its python."""
    source = into / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    subprocess.run([sys.executable, "-m", "venv", str(into / "venv")], check=True)
    python = into / "venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(source)], check=True)
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated, of: {', '.join(RUNS)}")
    args = parser.parse_args()
    chosen = list(RUNS) if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in chosen if n not in RUNS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]}; choose from {', '.join(RUNS)}")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    with tempfile.TemporaryDirectory(prefix="coderclaw-bench-all-") as tmp:
        python = install(Path(tmp))
        print(f"# benchmarks of {commit.stdout.strip() or 'this checkout'}, regular install, python {sys.version.split()[0]}")
        for name in chosen:
            script, *rest = RUNS[name]
            print(f"\n## {name}: python benchmarks/{script} {' '.join(rest)}".rstrip(), flush=True)
            started = time.perf_counter()
            result = subprocess.run([str(python), str(ROOT / "benchmarks" / script), *rest], cwd=tmp)
            print(f"({time.perf_counter() - started:.0f} s, exit {result.returncode})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
