"""Progress for long work: a bar in a terminal, a widget in a notebook, plain lines in a file or a pipe.

One helper for every long task (a sweep's chunks, a report's cells, a frontier's scales): work that
ends within :data:`QUIET_SECONDS` says nothing; longer work says how far it got.
"""

from __future__ import annotations

import sys
import threading
import time

#: work shorter than this prints nothing; a plain line is printed at most this often
QUIET_SECONDS = 2.0


def note(message: str) -> None:
    """A one-line status message on stderr (kept off stdout so results stay clean)."""
    print(message, file=sys.stderr, flush=True)


class Progress:
    """A minimal progress bar: ``with Progress(total, label) as bar: bar.update(k, note="…")``.

    In a notebook (ipywidgets importable and a kernel running) it shows an ``IntProgress`` widget.
    Otherwise, on stderr: a bar redrawn on one line when stderr is a terminal; plain lines
    (``report: 5/19 (26 %), 12 s — The targets``) when it is a file or a pipe, at most one every
    ``every`` seconds, so a log shows how far a long run got without carriage-return noise. Work
    that ends within ``every`` seconds prints nothing in either case.

    Parameters
    ----------
    total : int
        Steps to go.
    label : str
        What is being done (the start of each line).
    enabled : bool
        False: silent.
    lines : bool
        Plain lines when stderr is not a terminal (default True).
    every : float
        Seconds between plain lines, and before the first output at all.
    ticker : bool
        Also report every ``every`` seconds while a step runs (for steps that take long, such as a
        report's first cell); the note of the last update is repeated.
    """

    def __init__(self, total: int, label: str = "", enabled: bool = True, lines: bool = True,
                 every: float = QUIET_SECONDS, ticker: bool = False) -> None:
        self.total, self.label, self.done = max(int(total), 1), label, 0
        self.enabled = enabled
        self.every = float(every)
        self._widget = None
        self._t0 = self._last = time.perf_counter()
        self._printed = False
        self._note = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._tty = enabled and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self._lines = enabled and lines and not self._tty
        if enabled and _in_notebook():
            try:
                import ipywidgets as w
                from IPython.display import display

                self._widget = w.IntProgress(min=0, max=self.total, description=label[:20])
                self._lines = self._tty = False
                display(self._widget)
            except ImportError:
                self._widget = None
        if ticker and (self._tty or self._lines):
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            self.update(0, note=self._note, force=True)

    def update(self, n: int = 1, note: str = "", force: bool = False) -> None:
        """``n`` more steps done; ``note`` says what was just done (or is next)."""
        with self._lock:
            self._update(n, note, force)

    def _update(self, n: int, note: str, force: bool) -> None:
        self.done = min(self.total, self.done + n)
        self._note = note or self._note
        note = self._note
        now = time.perf_counter()
        if self._widget is not None:
            self._widget.value = self.done
        elif self._tty:
            if now - self._t0 < self.every and self.done < self.total:
                return
            frac = self.done / self.total
            bar = "#" * int(30 * frac)
            tail = f" {note[:40]}" if note else ""
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {frac:6.1%} {now - self._t0:5.0f} s{tail}\x1b[K")
            sys.stderr.flush()
            self._printed = True
        elif self._lines and (force or now - self._last >= self.every) and self.done < self.total:
            self._line(now, note)

    def _line(self, now: float, note: str = "") -> None:
        frac = self.done / self.total
        tail = f" — {note}" if note else ""
        print(f"{self.label}: {self.done}/{self.total} ({frac:.0%}), {now - self._t0:.0f} s{tail}",
              file=sys.stderr, flush=True)
        self._last = now
        self._printed = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        if self._tty and self._printed and self._widget is None:
            sys.stderr.write("\n")
            sys.stderr.flush()
        elif self._lines and self._printed and exc_type is None:
            print(f"{self.label}: done in {time.perf_counter() - self._t0:.0f} s", file=sys.stderr, flush=True)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and ip.__class__.__name__ == "ZMQInteractiveShell"


class working:
    """A sign of life for work without steps to count: ``with working("jdmodel frontier"): ...``.

    Says nothing if the work ends within ``every`` seconds; after that a line (or, in a terminal, a
    redrawn one) every ``every`` seconds with the time so far, and the total at the end.
    """

    def __init__(self, label: str, every: float = 5.0, enabled: bool = True) -> None:
        self._bar = Progress(1, label=label, enabled=enabled, every=every, ticker=True)

    def __enter__(self) -> Progress:
        self._bar._note = "working"
        return self._bar

    def __exit__(self, *exc) -> None:
        self._bar.__exit__(*exc)
