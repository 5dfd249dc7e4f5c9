"""The lab's one error family. Every error a learner may see is a :class:`LabError`: ``str(err)`` is a
message written for a student (what happened, what to do), and ``ui.errors`` shows it the same way on every
page. Anything else reaching a page is a bug and is left to crash loudly in development and in tests.

Each kind keeps the builtin base it had before (``ValueError``/``RuntimeError``), so older ``except`` clauses
and tests keep working while pages move to catching :class:`LabError`.
"""

from __future__ import annotations


class LabError(Exception):
    """Root of the errors a learner may see. ``icon``: the Streamlit Material icon (``:material/name:``) pages
    show beside the message, not an emoji (those are empty boxes without an emoji font); ``level``:
    "error" for something that failed, "warning" for something to try again in a moment."""

    icon = ":material/block:"
    level = "error"


class MediaError(LabError, ValueError):
    """A file we cannot or will not process. ``str(err)`` is a message a student understands."""


class StoreError(LabError, ValueError):
    """The class database refused an action (a name taken, a session closed, a bad value)."""

    icon = ":material/database:"


class SigningError(LabError, RuntimeError):
    """A content credential could not be made or checked."""

    icon = ":material/verified:"


class LessonError(LabError, ValueError):
    """A lesson or track file is malformed; the message names the file and what to fix."""

    icon = ":material/description:"


class DataFileError(LabError, ValueError):
    """A file the lab writes for itself (measured scores, a trained model) is unreadable; the message says
    which file and how to make it again."""

    icon = ":material/description:"


class LabBusy(LabError, RuntimeError):
    """The shared job pool cannot take this job now. ``str(err)`` is a message for a student."""

    icon = ":material/hourglass_empty:"
    level = "warning"


class Cancelled(LabError):
    """Long work stopped because the learner cancelled it (or left the page)."""

    icon = ":material/pan_tool:"

    def __init__(self, message: str = "The analysis was cancelled.") -> None:
        super().__init__(message)
