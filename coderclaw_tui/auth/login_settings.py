"""What a browser login takes from its caller or the environment before it starts: its ports and how long it may
wait. Apart from the callback server (and the HTTP parsing it imports) because the app reads these before its first
screen, when no login may ever start."""

PORT_ENV = "CODERCLAW_OAUTH_CALLBACK_PORT"
FALLBACK_PORT_ENV = "CODERCLAW_OAUTH_FALLBACK_PORT"
FROM_SPEC = -1
"""A fallback port of -1 means the method's own (1457 for Codex, none for the others)."""
LOGIN_TIMEOUT = 600.0
"""Seconds a browser login may take before it gives up and frees its port."""
