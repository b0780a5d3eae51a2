"""Time to the first wizard screen, as a ratio to a minimal Textual app (a Static and a Footer) measured the same
way in the same run.

cold (the goal): a fresh interpreter per sample, timed from spawning it to the first screen being ready, so it
  includes Python's start-up and every import. The wizard goes through the real command path: `cli.main(["onboard",
  ...])` parses the arguments, lazily imports the command, configures logging, builds `Services` and the app with
  `make_app`, and calls `App.run`; only the terminal check is skipped and `App.run` is made headless (80x24 is not
  what matters here; the size is fixed at 100x32 for both apps).
warm: the same two apps built and run again and again in this process (imports already done).

"Ready" is the same test for both apps: the first frame the compositor produces for the first screen with its
content in place (for the wizard, the choose-agent list filled from the state dir), turned into the bytes a
terminal would be sent (headless Textual computes every frame but skips that last step, so it is done here). The
child prints the wall-clock time at that moment and exits.

    python benchmarks/wizard_startup.py [--rounds 20] [--warm-rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

GOAL = 1.2
SIZE = (100, 32)

FIRST_FRAME = """
import time as _time
from textual.app import App as _App
from textual._compositor import CompositorUpdate as _Update

_display = _App._display

def _first_frame(self, screen, renderable):
    _display(self, screen, renderable)
    if renderable is None or getattr(self, "_bench_done", False) or screen is not self.screen or not _ready(self):
        return
    if isinstance(renderable, _Update):
        renderable.render_segments(self.console)  # what a real terminal would be sent for this frame
    self._bench_done = True
    print("READY", repr(_time.time()), flush=True)
    self.exit(None)

_App._display = _first_frame
"""

MINIMAL = (
    FIRST_FRAME
    + """
from textual.widgets import Footer, Static

class Minimal(_App):
    def compose(self):
        yield Static("Which agent is this login for?", id="hello")
        yield Footer()

def _ready(app):
    return bool(app.screen.query("#hello"))

Minimal().run(headless=True, size=SIZE)
"""
)

WIZARD = (
    FIRST_FRAME
    + """
from coderclaw_tui import cli
from coderclaw_tui.commands import wizard

def _ready(app):
    screen = app.screen
    if type(screen).__name__ != "ChooseAgentScreen":
        return False
    agents = screen.query("#agents")
    return bool(agents) and agents.first().option_count > 0

_run = _App.run

def _headless_run(self, *args, **kwargs):
    return _run(self, headless=True, size=SIZE)

_App.run = _headless_run
wizard._require_terminal = lambda command: None
cli.main(["onboard"])
"""
)


def cold_once(program: str, env: dict[str, str]) -> float:
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-c", f"SIZE = {SIZE!r}\n" + program], env=env, capture_output=True, text=True, timeout=120
    )
    ready = [line for line in done.stdout.splitlines() if line.startswith("READY ")]
    if not ready:
        raise SystemExit(f"the child never reached its first screen (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return float(ready[0].split()[1]) - started


async def warm_once(make: Any, ready: Any) -> float:
    """From building the app to the first frame of its first screen being ready, in this process."""
    from textual._compositor import CompositorUpdate

    started = time.perf_counter()
    app = make()
    display = app._display
    painted = asyncio.Event()
    elapsed = 0.0

    def first_frame(screen: Any, renderable: Any) -> None:
        nonlocal elapsed
        display(screen, renderable)
        if renderable is None or painted.is_set() or screen is not app.screen or not ready(app):
            return
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
        elapsed = time.perf_counter() - started
        painted.set()

    app._display = first_frame
    async with app.run_test(size=SIZE):
        await asyncio.wait_for(painted.wait(), 30)
        app.exit(None)
    return elapsed


def warm_cases() -> dict[str, tuple[Any, Any]]:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    from coderclaw_tui.app import Services, make_app
    from coderclaw_tui.flows.onboarding import WizardStart

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("Which agent is this login for?", id="hello")
            yield Footer()

    def wizard_ready(app: Any) -> bool:
        screen = app.screen
        if type(screen).__name__ != "ChooseAgentScreen":
            return False
        agents = screen.query("#agents")
        return bool(agents) and agents.first().option_count > 0

    return {
        "minimal Textual app": (Minimal, lambda app: bool(app.screen.query("#hello"))),
        "coderclaw wizard": (lambda: make_app(Services.from_env(), WizardStart()), wizard_ready),
    }


def report(title: str, samples: dict[str, list[float]], goal: float | None) -> None:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    names = list(medians)
    base = medians[names[0]]
    print(title)
    width = max(len(name) for name in names)
    for name in names:
        values = sorted(samples[name])
        spread = f"[{values[len(values) // 10] * 1000:.0f}-{values[-1 - len(values) // 10] * 1000:.0f}]"
        line = f"  {name.ljust(width)}  {medians[name] * 1000:7.1f} ms  {spread:>11}"
        if name != names[0]:
            ratio = medians[name] / base
            line += f"  {ratio:5.2f}x"
            if goal is not None:
                line += f"  goal {goal}x  {'PASS' if ratio <= goal else 'MISS'}"
        else:
            line += "  base"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="cold samples per app")
    parser.add_argument("--warm-rounds", type=int, default=30, help="warm samples per app (0: skip)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coderclaw-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODERCLAW_") and k != "PI_CODING_AGENT_DIR"}
        env.update(
            CODERCLAW_STATE_DIR=str(Path(tmp) / "state"),
            HOME=tmp,
            XDG_STATE_HOME=str(Path(tmp) / "xdg-state"),
            XDG_CACHE_HOME=str(Path(tmp) / "xdg-cache"),
        )
        programs = {"minimal Textual app": textwrap.dedent(MINIMAL), "coderclaw onboard": textwrap.dedent(WIZARD)}
        for program in programs.values():  # warm the OS caches and .pyc files; not counted
            cold_once(program, env)
        cold: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.rounds):
            for name, program in programs.items():  # interleaved, so drift hits both alike
                cold[name].append(cold_once(program, env))

        warm: dict[str, list[float]] = {}
        if args.warm_rounds:
            os.environ.update(env)
            cases = warm_cases()
            warm = {name: [] for name in cases}
            for make, ready in cases.values():
                asyncio.run(warm_once(make, ready))  # first run pays for CSS parsing caches; not counted
            for _ in range(args.warm_rounds):
                for name, (make, ready) in cases.items():
                    warm[name].append(asyncio.run(warm_once(make, ready)))

    print(
        f"time to the first screen, median (10th-90th percentile), size {SIZE[0]}x{SIZE[1]}, python {sys.version.split()[0]}"
    )
    report(f"cold: fresh interpreter, spawn to first screen ready, {args.rounds} interleaved rounds", cold, GOAL)
    if warm:
        report(f"warm: in-process, app built to first screen ready, {args.warm_rounds} interleaved rounds", warm, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
