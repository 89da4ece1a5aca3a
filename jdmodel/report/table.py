"""A report's tables: :class:`Table` (named, formatted cells shown as HTML with a ``data-table`` attribute)
and the formatting of numbers in them (:func:`fmt`).

Every cell is a string; pandas escapes it when the table is shown as HTML, so a name or a source read
from a file is shown as text. :mod:`jdmodel.report.sections` re-exports these.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Table:
    """A named table of formatted cells: ``.table()`` for a terminal, HTML in a notebook.

    Attributes
    ----------
    name : str
        Identifier written into the HTML (``data-table``).
    frame : pandas.DataFrame
        The cells, as strings.
    caption : str
        A short line shown above the table.
    """

    name: str
    frame: Any
    caption: str = ""

    @property
    def empty(self) -> bool:
        return len(self.frame) == 0

    def table(self) -> str:
        head = f"{self.caption}\n" if self.caption else ""
        return head + (self.frame.to_string(index=False) if not self.empty else "(none)")

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        body = self.frame.to_html(index=False, border=0, classes=["jd-table"], escape=True, na_rep="")
        body = body.replace("<table ", f'<table data-table="{html.escape(self.name)}" ', 1)
        cap = f"<p class='jd-caption'>{html.escape(self.caption)}</p>" if self.caption else ""
        return cap + self._style() + body

    def _style(self) -> str:
        """Column classes as CSS scoped to this table: units and numbers never wrap, keys are small."""
        rules = []
        for j, col in enumerate(self.frame.columns, start=1):
            kind = _column_kind(str(col))
            if kind:
                sel = f'table[data-table="{html.escape(self.name)}"] :is(td, th):nth-child({j})'
                rules.append(f"{sel} {{{_COLUMN_CSS[kind]}}}")
        return f"<style>{' '.join(rules)}</style>" if rules else ""


#: how a column is set, by kind (:func:`_column_kind`)
_COLUMN_CSS = {"nowrap": "white-space: nowrap;",
               "key": "font-family: monospace; font-size: 0.8em; color: #666; overflow-wrap: anywhere; min-width: 11em;",
               "number": "white-space: nowrap; text-align: right;",
               "text": "overflow-wrap: anywhere; min-width: 8em;"}


def _column_kind(name: str) -> str:
    """``nowrap`` for units, years and thresholds, ``number`` for values, ``key`` for dotted keys."""
    n = name.lower()
    if n == "key":
        return "key"
    if n in ("source", "set in", "what the plan asks", "parameter", "name", "indicator", "last published", "value",
             "range") or ": median" in n:
        return "text"
    if n in ("unit", "year", "threshold", "first year", "evidence", "p(reach)", "95 % interval", "rank",
             "difference", "± mc s.e.") or n.endswith(("p(reach)", "(亿元)")):
        return "nowrap"
    if n in ("median", "5 %", "95 %", "5–95 %", "model", "plan line", "central − line", "shortfall",
             "ensemble median", "central run", "effect (亿元)", "share"):
        return "number"
    return ""


def _table(name: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], caption: str = "") -> Table:
    import pandas as pd

    return Table(name, pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=list(columns)),
                 caption)


def fmt(x: Any, digits: int = 4) -> str:
    """A number (or a path of numbers) as short text: 4 significant digits, a constant path compressed.

    Examples
    --------
    >>> fmt(4000.0), fmt(0.52671), fmt([3.0] * 10), fmt([1.0, 2.5]), fmt(40000.0), fmt(123456.7)
    ('4,000', '0.5267', '3 ×10', '1, 2.5', '40,000', '123,457')
    """
    if x is None:
        return ""
    if isinstance(x, bool | np.bool_):
        return "true" if x else "false"
    if isinstance(x, str):
        return x
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        v = float(arr)
        if not np.isfinite(v):
            return "nan"
        if 10 ** digits <= abs(v) < 1e15:   # whole numbers, never 4e+04
            return f"{v:,.0f}"
        return f"{v:,.{digits}g}" if abs(v) < 1e15 else f"{v:.{digits}g}"
    flat = arr.ravel()
    if flat.size and np.all(flat == flat[0]):
        return f"{fmt(flat[0], digits)} ×{flat.size}"
    return ", ".join(fmt(v, digits) for v in flat)


def _pct(p: float | None) -> str:
    return "" if p is None else f"{100 * p:.1f} %"
