"""Exception classes that speak to the user.

Every error raised on bad input names the file, the dotted key, the value and what
was expected; the command line prints these without a traceback.
"""

from __future__ import annotations


class JdmodelError(ValueError):
    """Base class of every error jdmodel raises on purpose."""


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
        self.problems = list(problems or [])
        text = message if not self.problems else message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


class ModelError(JdmodelError):
    """The model cannot be evaluated with the given inputs (e.g. a non-productive IO table)."""
