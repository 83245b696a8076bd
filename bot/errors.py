"""Errors a person caused and should read: the handlers show their message as is."""


class UserFacingError(Exception):
    """Bad input or a refused action; `str(error)` is the sentence shown to the user."""


class UsageError(UserFacingError):
    """A command that could not be understood; the message says what is missing and shows an example."""


class BadPayload(UserFacingError):
    """A request whose fields are missing or of the wrong shape (Slack would not send it, or an old form did)."""

    def __init__(self, what: str) -> None:
        super().__init__("Liaison could not read that request; nothing was changed. Please try again.")
        self.what = what


class TicketNotFound(UserFacingError):
    def __init__(self, key: str) -> None:
        super().__init__(f"There is no ticket {key}. Try `/ticket list` to see open tickets.")
        self.key = key


class PermissionDenied(UserFacingError):
    """The actor may not do this; the message says who may."""


class ConfigError(ValueError):
    """The policy file is missing or wrong; the message names the key and the reason."""
