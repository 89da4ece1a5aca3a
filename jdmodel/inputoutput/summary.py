"""A notebook-ready overview of a table: output, multipliers and linkages by sector."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jdmodel.inputoutput.linkages import render_html, render_text
from jdmodel.inputoutput.table import IOTable


@dataclass(frozen=True)
class IOSummary:
    """Multipliers and linkages of one table, with ``.table()`` (text) and an HTML repr.

    Attributes
    ----------
    header : tuple of str
        Column names.
    rows : tuple of tuples
        One row per sector.
    title : str
        Table, its source and the units.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    title: str

    def table(self) -> str:
        """Plain-text table, one row per sector."""
        return render_text(self.header, self.rows, self.title)

    def _repr_html_(self) -> str:
        return render_html(self.header, self.rows, self.title)

    def __str__(self) -> str:
        return self.table()


def summary(table: IOTable | None = None) -> IOSummary:
    """Output, Type I/II multipliers and Rasmussen linkages of each sector.

    Parameters
    ----------
    table : IOTable, optional
        Default: the shipped national table regionalised to the district
        (:func:`jdmodel.inputoutput.link.regional_table`).

    Returns
    -------
    IOSummary
        Columns: code, names, gross output x, output multipliers (Type I, II), value-added and
        income (compensation) multipliers (Type I), employment multiplier (Type I, 人 per unit of
        final demand, when the table has employment), backward and forward linkages, class.

    Examples
    --------
    >>> s = summary(IOTable.from_arrays([[150, 500], [200, 100]], [350, 1700], v=[650, 1400]))
    >>> print(s.table().splitlines()[1])   # doctest: +NORMALIZE_WHITESPACE
    code  name_zh  name_en  x  output I  value added I  backward  forward  class
    """
    if table is None:
        from jdmodel.inputoutput.link import regional_table
        table = regional_table()
    cols: dict[str, np.ndarray] = {"x": table.x, "output I": table.multipliers("output")}
    closed = table.compensation is not None and table.consumption is not None
    if closed:
        cols["output II"] = table.multipliers("output", "II")
    if table.v is not None:
        cols["value added I"] = table.multipliers("value_added")
    if table.compensation is not None:
        cols["income I"] = table.multipliers("income")
    if table.employment is not None:
        cols["employment I"] = table.multipliers("employment")
    link = table.linkages()
    cols["backward"], cols["forward"] = link.backward, link.forward
    header = ("code", "name_zh", "name_en", *cols, "class")
    rows = tuple((c, z, e, *(float(v[j]) for v in cols.values()), str(link.kind[j]))
                 for j, (c, z, e) in enumerate(zip(table.codes, table.name_zh, table.name_en, strict=True)))
    title = f"{table.source} — money in {table.unit}, employment in 人"
    return IOSummary(header, rows, title)
