"""Writing TOML text: literals for the files jdmodel writes (dashboard scenarios, ``jdmodel init``).

Reading uses :mod:`tomllib`; writing needs only numbers, booleans, strings, lists and inline
tables, so a few lines do it (a JSON string is a valid TOML basic string).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np


def toml_value(value: Any) -> str:
    """A TOML literal for a number, bool, string, list or (inline) table.

    Examples
    --------
    >>> toml_value({"value": [1.0, 2.5], "unit": "亿元/yr"})
    '{ value = [1, 2.5], unit = "亿元/yr" }'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.floating | np.integer):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)     # a JSON string is a valid TOML basic string
