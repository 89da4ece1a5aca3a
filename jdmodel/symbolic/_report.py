"""A small table that prints in a terminal and renders in a notebook (HTML and LaTeX)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class Table:
    """Rows of strings with a title and a note: ``.table()`` for a terminal, HTML/LaTeX reprs for Jupyter.

    ``latex_rows`` (optional) holds the same rows with LaTeX cells for ``_repr_latex_``.
    """

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    note: str = ""
    latex_rows: list[tuple[str, ...]] = field(default_factory=list)

    def table(self) -> str:
        widths = [max(len(str(c)) for c in col) for col in zip(self.columns, *self.rows, strict=True)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [self.title, fmt.format(*self.columns), "  ".join("-" * w for w in widths)]
        lines += [fmt.format(*row) for row in self.rows]
        if self.note:
            lines.append(self.note)
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in self.rows
        )
        note = f"<p><small>{html.escape(self.note)}</small></p>" if self.note else ""
        return f"<div><p><b>{html.escape(self.title)}</b></p><table><tr>{head}</tr>{body}</table>{note}</div>"

    def _repr_latex_(self) -> str | None:
        if not self.latex_rows:
            return None
        body = r" \\ ".join(" & ".join(row) for row in self.latex_rows)
        cols = " & ".join(rf"\text{{{c}}}" for c in self.columns)
        return rf"$$\begin{{array}}{{{'l' * len(self.columns)}}} {cols} \\ \hline {body} \end{{array}}$$"


class TableReport:
    """Mixin: a result that builds a :class:`Table` in ``_table()`` prints and renders through it."""

    def _table(self) -> Table:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def table(self) -> str:
        return self._table().table()

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return self._table()._repr_html_()
