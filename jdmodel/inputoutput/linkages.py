"""Result objects with a plain-text ``.table()`` and an HTML repr (linkages, summaries)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


def render_text(header: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    """Fixed-width text table; floats with 3 decimals."""
    cells = [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[k]) for r in cells)) if cells else len(h) for k, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    body = ["  ".join(c.rjust(w) if isinstance(o, (int, float)) else c.ljust(w)
                      for c, o, w in zip(r, orig, widths, strict=True)) for r, orig in zip(cells, rows, strict=True)]
    return "\n".join(([title] if title else []) + [line, "-" * len(line)] + body)


def render_html(header: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    """Minimal HTML table (escaped)."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td style='text-align:right'>{c:.3f}</td>" if isinstance(c, float) else f"<td>{esc(str(c))}</td>"
        for c in r) + "</tr>" for r in rows)
    cap = f"<caption>{esc(title)}</caption>" if title else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class Linkages:
    """Normalised Rasmussen linkages and key-sector classes (see :meth:`IOTable.linkages`).

    Attributes
    ----------
    backward, forward : arrays (n,)
        Normalised indices (average 1).
    kind : array of str (n,)
        ``"key"``, ``"backward"``, ``"forward"`` or ``"weak"``.
    forward_method : str
        ``"ghosh"`` (row sums of G) or ``"leontief"`` (row sums of L).
    """

    codes: tuple[str, ...]
    name_zh: tuple[str, ...]
    name_en: tuple[str, ...]
    backward: NDArray[np.float64]
    forward: NDArray[np.float64]
    kind: NDArray[np.str_]
    forward_method: str = "ghosh"

    def _rows(self) -> tuple[list[str], list[list[object]]]:
        header = ["code", "name_zh", "name_en", "backward", "forward", "class"]
        rows = [[c, z, e, float(b), float(f), str(k)] for c, z, e, b, f, k in zip(
            self.codes, self.name_zh, self.name_en, self.backward, self.forward, self.kind, strict=True)]
        return header, rows

    def table(self) -> str:
        """Plain-text table, one row per sector."""
        return render_text(*self._rows(), title=f"Rasmussen linkages (forward: {self.forward_method})")

    def _repr_html_(self) -> str:
        return render_html(*self._rows(), title=f"Rasmussen linkages (forward: {self.forward_method})")
