"""Command-line entry point. Reads the command line (the commands scripts call often without argparse, see
`cli_quick`), then imports only what the chosen command needs: the scriptable commands are called by other
programs, often, so argparse, Textual and httpx stay off their path."""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def parse(argv: Sequence[str]) -> Any:
    """The parsed command line: by the quick path when it can read it, else by argparse (which exits on an error)."""
    from coderclaw_tui.cli_quick import quick_parse

    args = quick_parse(argv)
    if args is None:
        from coderclaw_tui.cli_parser import build_parser

        args = build_parser(argv).parse_args(argv)
    return args


def _apply_state_dir(args: Any) -> None:
    state_dir = getattr(args, "state_dir", None)
    if state_dir is None or getattr(args, "sandbox", False):
        return  # the sandbox keeps its state away from the real one; the wizard command sets it
    if not state_dir.strip():
        from coderclaw_tui.core.errors import UsageError

        raise UsageError("--state-dir was given an empty path; name the state dir, e.g. --state-dir ~/.coderclaw.")
    os.environ["CODERCLAW_STATE_DIR"] = os.path.expanduser(state_dir)


def _check_agent(args: Any) -> None:
    """`--agent` must name an agent that exists (SPEC 1); commands then get its normalised id."""
    if getattr(args, "agent", None) is not None and not getattr(args, "sandbox", False):
        from coderclaw_tui.core.agents import require_known_agent

        args.agent = require_known_agent(args.agent)


def _reader_gone() -> int:
    """Whoever read the output stopped reading (`coderclaw models status | head -1`): stop without a word, as a
    command the shell's SIGPIPE ends does, and point stdout at /dev/null so the interpreter's last flush cannot
    complain either."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 141


def _interrupted() -> int:
    print(
        "coderclaw: interrupted; each file coderclaw writes is replaced whole or not at all, but the command may "
        "have stopped between steps: `coderclaw models status` shows what is saved.",
        file=sys.stderr,
    )
    return 130


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    """Whether `exc` is a Ctrl-C that Python wrapped in another error: one that lands while an imported module
    defines a class comes out of the import as a RuntimeError ("Error calling __set_name__") caused by it."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:  # as `gh` does: the help, and success
        from coderclaw_tui.cli_parser import build_parser

        build_parser(argv).print_help()
        return 0
    try:
        args = parse(argv)  # imports the command's modules: a Ctrl-C meets it here as often as later
    except BaseException as exc:  # SystemExit from a usage error included, passed on as it is
        if _caused_by_ctrl_c(exc):
            return _interrupted()
        raise
    try:
        _apply_state_dir(args)
        _check_agent(args)
        code = args.handler(args)
        sys.stdout.flush()  # a reader that has gone away is found here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:
        if _caused_by_ctrl_c(exc):
            return _interrupted()
        from coderclaw_tui.commands.output import printable
        from coderclaw_tui.core.errors import CoderclawError, FileProblem, UsageError

        error = FileProblem(exc) if isinstance(exc, OSError) else exc
        if args.debug:  # the traceback too, but the exit code stays the documented one
            import traceback

            traceback.print_exc()
        if isinstance(error, CoderclawError):
            if not isinstance(error, UsageError):
                from coderclaw_tui.core import audit

                audit.log("failure", command=args.command, error=type(error).__name__, exit=error.exit_code)
            print(f"coderclaw: {printable(error.message)}", file=sys.stderr)
            return error.exit_code
        print(f"coderclaw: unexpected {type(exc).__name__}; run again with --debug for details.", file=sys.stderr)
        return 70


def console() -> None:
    """The installed `coderclaw` command and `python -m coderclaw_tui`: `main`, then the interpreter's usual exit
    with everything the command loaded frozen first, so the exit's garbage collections pass over none of it. A
    script asking for a token pays about 4 ms less per call (of some 40); the exit is otherwise the same: threads
    joined, exit handlers run, output flushed. Not part of `main`, which tests call many times in one process
    whose garbage must stay collectable."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
