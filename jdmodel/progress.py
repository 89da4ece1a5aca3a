"""Progress for long work: a bar in a terminal (stderr) and in a notebook."""

from __future__ import annotations

import sys
import time


def note(message: str) -> None:
    """A one-line status message on stderr (kept off stdout so results stay clean)."""
    print(message, file=sys.stderr, flush=True)


class Progress:
    """A minimal progress bar: ``with Progress(total) as bar: bar.update(k)``.

    In a notebook (ipywidgets importable and a kernel running) it shows an
    ``IntProgress`` widget; otherwise it redraws one line on stderr when stderr is a
    terminal, and stays quiet in CI logs (no carriage-return noise) unless ``force``.
    """

    def __init__(self, total: int, label: str = "", enabled: bool = True) -> None:
        self.total, self.label, self.done = max(int(total), 1), label, 0
        self.enabled = enabled
        self._widget = None
        self._t0 = time.perf_counter()
        self._tty = enabled and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        if enabled and _in_notebook():
            try:
                import ipywidgets as w
                from IPython.display import display

                self._widget = w.IntProgress(min=0, max=self.total, description=label[:20])
                display(self._widget)
            except ImportError:
                self._widget = None

    def update(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        if self._widget is not None:
            self._widget.value = self.done
        elif self._tty:
            frac = self.done / self.total
            bar = "#" * int(30 * frac)
            rate = self.done / max(time.perf_counter() - self._t0, 1e-9)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {frac:6.1%} ({rate:,.1f}/s)")
            sys.stderr.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self._tty and self._widget is None:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and ip.__class__.__name__ == "ZMQInteractiveShell"
