"""Where the shipped parameter files are: the plans (``plans/<id>/``) and the national IO tables (``io/``).

In a source checkout they are the repository's top-level ``parameters/``; in an
installed wheel they are packaged as ``jdmodel/parameters`` (see pyproject.toml).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def parameters_dir() -> Path:
    """Return the folder that holds the shipped plans (``plans/``) and the national input–output tables (``io/``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "parameters", here.parent / "parameters"):
        if (candidate / "plans").is_dir():
            return candidate
    raise FileNotFoundError(
        f"jdmodel cannot find its parameter files: looked in {here / 'parameters'} and {here.parent / 'parameters'}"
    )
