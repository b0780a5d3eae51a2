"""Where coderclaw runs: whether a browser opened here can reach the user, and opening one safely.

Kept apart from the login flows (and free of HTTP imports) because the app needs it before any login starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

TEXT_BROWSERS = frozenset({"lynx", "w3m", "links", "links2", "elinks", "www-browser", "browsh", "carbonyl"})
"""Console browsers take over the terminal the login is running in, so they are never launched."""

_REMOTE_VARS = ("SSH_CLIENT", "SSH_TTY", "SSH_CONNECTION", "REMOTE_CONTAINERS", "CODESPACES")
_WSL_VARS = ("WSL_INTEROP", "WSL_DISTRO_NAME", "WSLENV")


def is_remote_environment(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True where a browser opened here could not reach us: SSH, dev containers, Codespaces, a headless Linux."""
    return no_browser_reason(env, platform) is not None


def no_browser_reason(env: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no browser opened here can reach the user: "remote" (SSH, a container, Codespaces), "no-display"
    (a Linux with neither X nor Wayland, not WSL), or None when one can. The two are told apart on screen: a
    local machine without a display is not a remote one."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if any(env.get(name) for name in _REMOTE_VARS):
        return "remote"
    headless = not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY")
    if platform.startswith("linux") and headless and not any(env.get(name) for name in _WSL_VARS):
        return "no-display"
    return None


def ssh_hint(port: int) -> str:
    return f"ssh -L {port}:127.0.0.1:{port} <host>"


def open_graphical_browser(url: str) -> bool:
    """Open `url` the standard way (which honours $BROWSER), refusing console browsers, with the child's
    output sent to /dev/null so it cannot scribble over the terminal UI. False when nothing suitable exists."""
    import webbrowser

    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        return False
    if os.path.basename(getattr(controller, "name", "") or "") in TEXT_BROWSERS:
        return False
    if type(controller) in (webbrowser.GenericBrowser, webbrowser.BackgroundBrowser):
        command = [controller.name, *(arg.replace("%s", url) for arg in controller.args)]
        try:
            subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            return False
        return True
    return bool(controller.open(url, new=2))
