"""Errors that decide what the event runtime does with a message.

InputError is permanent: the episode fails with a message naming the problem and
nothing is retried. NotReady means a prerequisite (another stage's output) has not
arrived yet: the message is redelivered later. Anything else is treated as a
transient fault and retried up to the consumer's max_deliver.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input from a studio: names the file, line, field or limit at fault."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = file or ""
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class MediaError(InputError):
    """A media file that cannot be used: unreadable, out of bounds, no video stream."""


class NotReady(Exception):
    """A prerequisite is not there yet; redeliver the event later."""


# What an API call can answer besides bad input; the gRPC layer maps each to one status code.
class NotFound(LookupError):
    """No such object for this caller; another tenant's object is reported exactly the same way."""


class Conflict(Exception):
    """The call does not fit the current state (e.g. approving an episode that did not fail QC)."""


class Unauthenticated(Exception):
    """No credential, or one that is not valid."""


class PermissionDenied(Exception):
    """A valid credential that may not make this call."""
