"""The error type every configuration problem is reported with."""


class ConfigError(Exception):
    """A configuration mistake, reported as one line naming the setting and the fix (no traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(message if message.startswith("podnet: ") else f"podnet: {message}")
