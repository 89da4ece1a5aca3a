"""Exception classes that speak to the user.

Every error raised on bad input names the file, the dotted key, the value and what
was expected; the command line prints these without a traceback. A message is made
printable where it is built (:func:`printable`): a key or value read from a file cannot
put terminal escape sequences or invisible direction marks on the reader's screen.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, zero-width and bidirectional formatting marks
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, newlines: bool = True) -> str:
    """``text`` with control characters written as escapes (``\\x1b``, ``\\u202e``): safe on a terminal.

    Parameters
    ----------
    text : object
        Converted with ``str``.
    newlines : bool
        Keep line breaks (and tabs); False escapes them too, for text that must stay on one line.

    Examples
    --------
    >>> printable("\\x1b[31mred")
    '\\\\x1b[31mred'
    >>> printable("a\\nb"), printable("a\\nb", newlines=False)
    ('a\\nb', 'a\\\\x0ab')
    """
    return (_CONTROL if newlines else _CONTROL_OR_NEWLINE).sub(_escape, str(text))


class JdmodelError(ValueError):
    """Base class of every error jdmodel raises on purpose (its message made :func:`printable`)."""

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(printable(message), *args)


class ParameterError(JdmodelError):
    """A parameter file, override or argument is invalid.

    Parameters
    ----------
    message : str
        Summary line.
    problems : list of str, optional
        One line per problem found; all problems of a file are reported together.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = [printable(p, newlines=False) for p in problems or []]
        text = message if not self.problems else message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


class ModelError(JdmodelError):
    """The model cannot be evaluated with the given inputs (e.g. a non-productive IO table)."""
