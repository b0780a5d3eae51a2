"""The command line itself (SPEC 7, issue #10 row 9): a mistyped option is named, an argument that could be a
secret is never echoed, `--debug` works after the subcommand, `--version`, help on bare `coderclaw`, and shell
completion generated from the same parser. Every case runs the installed command as a subprocess."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
SECRET = "sk-ant-api03-FAKEsecret0123456789"


def last_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    return stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("models", "status", "--nosuch"), "coderclaw models status: error: unknown option --nosuch; see"),
        (("models", "auth", "token", "--provider", "openai", "--nosuch=" + SECRET), "unknown option --nosuch;"),
        (("--nosuch", "agents", "list"), "coderclaw agents list: error: unknown option --nosuch"),
        (("statsu",), "invalid choice: 'statsu' (choose from 'onboard', 'profiles', 'models', 'agents',"),
    ],
    ids=["option", "option-with-secret-value", "option-before-command", "mistyped-command"],
)
def test_a_mistyped_option_or_command_is_named(run_cli: RunCli, args: tuple[str, ...], says: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert says in last_line(result.stderr)
    assert SECRET not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("models", "auth", "token", "--provider", "openai", SECRET),
        ("models", "status", "--json", SECRET),
        (SECRET,),
        ("models", "auth", SECRET),
        ("models", "auth", "token", "--pro=" + SECRET),
        ("completion", SECRET),
    ],
    ids=["after-options", "after-flag", "as-command", "as-subcommand", "ambiguous-option-value", "as-shell"],
)
def test_an_argument_that_could_be_a_secret_is_never_echoed(run_cli: RunCli, args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert SECRET not in result.stderr + result.stdout
    assert "FAKEsecret" not in result.stderr
    assert "(not shown)" in last_line(result.stderr)


def test_debug_is_taken_after_the_subcommand_too(state_dir: Path, run_cli: RunCli) -> None:
    """Without --debug a failure is one sentence; with it, before or after the subcommand, the traceback."""
    plain = run_cli("models", "auth", "token", "--provider", "openai")
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert last_line(plain.stderr).startswith("coderclaw: No openai profile for agent main")
    for args in (("--debug", "models", "auth", "token"), ("models", "auth", "token", "--debug")):
        debug = run_cli(*args, "--provider", "openai")
        assert debug.returncode != 0
        assert "Traceback" in debug.stderr and "UsageError: No openai profile" in debug.stderr
    assert run_cli("models", "status", "--debug").returncode == 0


def test_version(run_cli: RunCli) -> None:
    from importlib.metadata import version

    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout == f"coderclaw {version('coderclaw')}\n"


def test_bare_coderclaw_prints_the_help_and_succeeds(run_cli: RunCli) -> None:
    result = run_cli()
    assert result.returncode == 0
    assert result.stdout.startswith("usage: coderclaw ")
    for command in ("onboard", "profiles", "models", "agents", "completion", "--version"):
        assert command in result.stdout
    assert result.stderr == ""


def test_bash_completion_is_a_script_bash_accepts_and_completes_with(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("completion", "bash")
    assert result.returncode == 0, result.stderr
    script = tmp_path / "coderclaw.bash"
    script.write_text(result.stdout)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    probe = (
        f"source {script}\n"
        "complete -p coderclaw\n"
        'COMP_WORDS=(coderclaw models auth token --pro); COMP_CWORD=4; _shtab_coderclaw; echo "${COMPREPLY[*]}"\n'
        'COMP_WORDS=(coderclaw completion ""); COMP_CWORD=2; _shtab_coderclaw; echo "${COMPREPLY[*]}"\n'
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    registered, options, shells = done.stdout.splitlines()
    assert registered.endswith(" coderclaw")
    assert options.split() == ["--provider", "--profile-id"]
    assert shells.split() == ["bash", "zsh", "fish"]


@pytest.mark.parametrize(("shell", "marker"), [("zsh", "#compdef coderclaw"), ("fish", "complete -c coderclaw")])
def test_zsh_and_fish_completion(run_cli: RunCli, tmp_path: Path, shell: str, marker: str) -> None:
    """Generated for both; checked by the shell itself where it is installed (`-n`: parse only)."""
    result = run_cli("completion", shell)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout and "paste-token" in result.stdout
    if shutil.which(shell):
        script = tmp_path / f"coderclaw.{shell}"
        script.write_text(result.stdout)
        assert subprocess.run([shell, "-n", str(script)], capture_output=True).returncode == 0


def test_ctrl_c_while_the_command_line_is_read_is_one_sentence_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reading the command line imports the command's modules, a good part of a short command's life: a Ctrl-C
    there ends it as one later does, not with a traceback."""
    from coderclaw_tui import cli

    def interrupted(argv: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "parse", interrupted)
    assert cli.main(["models", "status"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("coderclaw: interrupted;") and err.count("\n") == 1 and "Traceback" not in err


def wrapped_ctrl_c() -> RuntimeError:
    """What Python raises when a Ctrl-C lands while an imported module defines a class (seen with a real
    SIGINT sent to `coderclaw models status` 34 ms after it started)."""
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("Error calling __set_name__ on 'cached_property' instance 'hostmask'") from interrupt
    except RuntimeError as error:
        return error


@pytest.mark.parametrize("stage", ["parse", "handler"])
def test_a_ctrl_c_python_wrapped_in_another_error_is_still_an_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stage: str
) -> None:
    """Not `unexpected RuntimeError` and 70, nor a traceback: the interrupt's sentence and 130, whether the
    command line was being read (its command's modules imported) or the command was running."""
    from coderclaw_tui import cli

    def fails(*args: object) -> None:
        raise wrapped_ctrl_c()

    if stage == "parse":
        monkeypatch.setattr(cli, "parse", fails)
    else:
        monkeypatch.setattr(cli, "_check_agent", fails)
    assert cli.main(["models", "status"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("coderclaw: interrupted;") and err.count("\n") == 1 and "Traceback" not in err


def test_an_error_not_caused_by_ctrl_c_stays_unexpected(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from coderclaw_tui import cli

    def fails(*args: object) -> None:
        try:
            raise ValueError("inner")
        except ValueError as inner:
            raise RuntimeError("outer") from inner

    monkeypatch.setattr(cli, "_check_agent", fails)
    assert cli.main(["models", "status"]) == 70
    assert "unexpected RuntimeError" in capsys.readouterr().err
