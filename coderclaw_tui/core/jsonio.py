"""Strict JSON both ways, and atomic, private writes (SPEC 2).

Strict means what CoderClaw's `JSON.parse`/`JSON.stringify` can round-trip: no NaN or Infinity, no number that
overflows a double, no lone surrogate, nesting at most 1000 deep. A file breaking one of these is reported as
not parsing; nothing written here contains one. Writes go to a temp file in the same dir (created O_EXCL,
O_NOFOLLOW), fsync, os.replace, 0600; no file or directory is ever chmod'ed or written through a symlink.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from json.encoder import encode_basestring
from pathlib import Path

from coderclaw_tui.core.errors import CoderclawError, PathSymlinked

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any

DIR_MODE = 0o700
FILE_MODE = 0o600
MAX_DEPTH = 1000
_MAX_DOUBLE_INT = 2**1024
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class StrictJsonError(ValueError):
    """Why a text is not strict JSON: a short reason naming the place (never the values around it)."""


def _no_constants(name: str) -> Any:
    raise StrictJsonError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise StrictJsonError(f"the number {text[:20]} overflows a double")
    return value


def _bounded_int(text: str) -> int | float:
    if len(text) <= 308:  # every store's numbers: at most 308 characters is below 10**308, below 2**1024
        return int(text)
    if len(text) > 400:
        raise StrictJsonError("a number overflows a double")
    value = int(text)
    if abs(value) >= _MAX_DOUBLE_INT:
        raise StrictJsonError("a number overflows a double")
    return value


def _check_strings(data: Any) -> None:
    """Lone surrogates anywhere in the tree, walked without recursion."""
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            _check_string(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                _check_string(key)
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise StrictJsonError("a string holds a lone surrogate") from None


def _deeper_than(data: Any, limit: int) -> bool:
    """Nesting of containers beyond `limit`, walked a level at a time over containers only. A container holding
    only scalars (most of a store: a profile, its usage stats) is told by the set of its values' types, built
    without a Python step per value; only containers holding containers are looked into value by value.
    (Parsed JSON holds plain dicts and lists, never subclasses.)"""
    level = [data] if type(data) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inner: list[Any] = []
        for node in level:
            values = node.values() if type(node) is dict else node
            kinds = set(map(type, values))
            if dict in kinds or list in kinds:
                inner.extend(v for v in values if type(v) is dict or type(v) is list)
        level = inner
    return False


def strict_loads(text: str) -> Any:
    """`json.loads` that refuses what JavaScript cannot round-trip. Raises StrictJsonError or JSONDecodeError."""
    try:
        data = json.loads(text, parse_constant=_no_constants, parse_float=_finite_float, parse_int=_bounded_int)
    except RecursionError:  # far deeper than the limit: the C parser stops at Python's recursion limit
        raise StrictJsonError(f"nesting deeper than {MAX_DEPTH}") from None
    # The C parser recurses once per level and stops at the recursion limit: under the usual limit (1000) what
    # it parsed is less deep than MAX_DEPTH, and only a raised limit leaves deeper nesting to be found here.
    if (
        sys.getrecursionlimit() > MAX_DEPTH
        and text.count("[") + text.count("{") > MAX_DEPTH
        and _deeper_than(data, MAX_DEPTH)
    ):
        raise StrictJsonError(f"nesting deeper than {MAX_DEPTH}")
    if _SURROGATE_ESCAPE.search(text):  # text decoded from UTF-8 holds none raw: only `\ud800`-style escapes can
        _check_strings(data)
    return data


def describe_json_error(exc: ValueError) -> str:
    """A parse failure as a short reason with its place, for "does not parse" messages."""
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    return str(exc)


def dumps_pretty(data: Any) -> str:
    """Two-space indent and a final newline, byte-compatible with `JSON.stringify(x, null, 2) + "\\n"`.

    Raises StrictJsonError rather than write NaN, Infinity or a lone surrogate.
    """
    try:
        text = dumps_indented(data, allow_nan=False) + "\n"
    except ValueError:
        raise StrictJsonError("a value is not finite") from None
    _check_string(text)
    return text


class _Unusual(Exception):
    """A value `_write_indented` leaves to the standard encoder."""


_CONSTANTS = {None: "null", True: "true", False: "false"}


def dumps_indented(data: Any, *, allow_nan: bool = True) -> str:
    """`json.dumps(data, indent=2, ensure_ascii=False)`, the same text, made faster: the standard library encodes
    indented JSON in pure Python, one generator per level that every token is passed up through, and a store or
    `status --json` of thousands of profiles spent most of its time there. Plain JSON values (exact dicts with
    str keys, lists, str, int, bool, None, finite floats) are written here with the C string escaper; anything
    else (a NaN, a tuple, a subclass, nesting past the recursion limit) is left to the standard encoder whole."""
    out: list[str] = []
    try:
        _write_indented(data, "\n", out.append)
    except (_Unusual, RecursionError):
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=allow_nan)
    return "".join(out)


def _write_indented(value: Any, newline: str, emit: Any) -> None:
    """`value` as the standard encoder indents it, its lines after the first starting with `newline`."""
    kind = type(value)
    if kind is str:
        emit(encode_basestring(value))
    elif kind is dict:
        if not value:
            emit("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            if type(item) is str:  # most values of a store: one piece, not three
                emit(separator + encode_basestring(key) + ": " + encode_basestring(item))
            else:
                emit(separator + encode_basestring(key) + ": ")
                _write_indented(item, inner, emit)
            separator = "," + inner
        emit(newline + "}")
    elif kind is list:
        if not value:
            emit("[]")
            return
        inner = newline + "  "
        if all(type(item) is str for item in value):
            emit("[" + inner + ("," + inner).join(map(encode_basestring, value)) + newline + "]")
            return
        separator = "[" + inner
        for item in value:
            emit(separator)
            _write_indented(item, inner, emit)
            separator = "," + inner
        emit(newline + "]")
    elif kind is bool or value is None:
        emit(_CONSTANTS[value])
    elif kind is int:
        emit(int.__repr__(value))
    elif kind is float and math.isfinite(value):
        emit(float.__repr__(value))
    else:
        raise _Unusual


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def ensure_private_dir(path: Path, root: Path | None = None) -> None:
    """Create a directory and every missing parent 0700, and tighten the existing ones from below `root` down to
    `path` (or the leaf alone without `root`). A symlink among them is refused, never followed or chmod'ed;
    without `root` (the config's or the log's dir: where the user put them) a symlinked leaf is left as it is."""
    missing = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
    chain = [path]
    if root is not None and root in path.parents:
        chain = [p for p in path.parents if root in p.parents] + [path]
    for directory in chain:
        info = os.lstat(directory)
        if stat.S_ISLNK(info.st_mode):
            if root is None:
                continue
            raise PathSymlinked(directory)
        if not stat.S_ISDIR(info.st_mode):
            raise CoderclawError(f"{directory} is not a directory; move it aside so coderclaw can create one there.")
        if info.st_mode & 0o777 != DIR_MODE and info.st_uid == os.getuid():
            try:
                os.chmod(directory, DIR_MODE)
            except OSError:
                pass  # best effort (a read-only mount): the write that follows reports what is really wrong


def temp_prefix(path: Path) -> str:
    """Temp files of ours for `path` start with this, then the writer's pid: `.<name>.<pid>.`"""
    return f".{path.name}."


def remove_dead_temps(path: Path) -> None:
    """Temp files for `path` left by a writer of ours that was killed mid-write (its pid is gone) hold whole
    secrets; the next writer removes them."""
    prefix = temp_prefix(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix) :].split(".", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not pid_alive(int(pid_text)):
            try:
                os.unlink(path.parent / name)
            except OSError:
                pass


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists; an absurd pid (not a plausible process id) is not alive."""
    if not 0 < pid < 1 << 22:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def create_exclusive(path: Path) -> int:
    """Open a new file for writing, 0600, failing if anything (a file, a link, a FIFO) is already there."""
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)


def write_text_atomic(path: Path, text: str, root: Path | None = None) -> None:
    """Replace `path` in one step so a crash leaves either the old or the new file, never half of one."""
    if _is_link(path):
        raise PathSymlinked(path)
    data = text.encode("utf-8")
    ensure_private_dir(path.parent, root)
    remove_dead_temps(path)
    tmp = path.with_name(f"{temp_prefix(path)}{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = create_exclusive(tmp)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        name_path(exc, path)
        raise
    _fsync_dir(path.parent)


def name_path(exc: BaseException, path: Path) -> None:
    """Give an OSError from an fd-level call (write, fsync: no file name of their own) the path it was about."""
    if isinstance(exc, OSError) and exc.filename is None:
        exc.filename = str(path)


def _fsync_dir(path: Path) -> None:
    try:
        dir_fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
