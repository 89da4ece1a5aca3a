"""Argument types and checks of the command line: a bad value stops the command before any work.

Each ``type=`` function raises :class:`argparse.ArgumentTypeError`, which argparse prints as
``argument --draws: expected …, got '0'`` with exit status 2. Checks that involve a file system
or another argument (``--out``, ``--bounds``, ``--dask``) raise :class:`ParameterError`, also exit 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from jdmodel.errors import ParameterError, printable
from jdmodel.uncertainty.rng import MAX_SEED

DASK_CONNECT_TIMEOUT = 5     # seconds to reach a scheduler
DASK_WORKER_TIMEOUT = 20     # seconds for a reachable scheduler to show a worker


class Parser(argparse.ArgumentParser):
    """argparse, with the value a user typed shown escaped (:func:`jdmodel.errors.printable`)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {printable(message)}\n")


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def _at_least_one(text: str, what: str) -> int:
    n = _integer(text, what)
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return n


def count(text: str) -> int:
    """A whole number ≥ 1 (``--draws``, ``--chunks``)."""
    return _at_least_one(text, "a whole number ≥ 1")


def seed(text: str) -> int:
    """A seed: a whole number from 0 to 2**64 − 1."""
    s = _integer(text, "a whole number from 0 to 2**64 - 1")
    if not 0 <= s <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 2**64 - 1 "
                                         f"(18446744073709551615), got {text!r}")
    return s


def seconds(text: str) -> int:
    """A positive number of seconds (whole)."""
    return _at_least_one(text, "a whole number of seconds ≥ 1")


def power_of_two_or_zero(text: str) -> int:
    """0, or a power of 2 (a Sobol' base sample)."""
    n = _integer(text, "0 or a power of 2")
    if n < 0 or (n and n & (n - 1)):
        raise argparse.ArgumentTypeError(f"expected 0 (no sensitivity section) or a power of 2 such as 64, 128 "
                                         f"or 256, got {text!r}")
    return n


def _finite(text: str, what: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return x


def probability(text: str) -> float:
    """A probability in (0, 1]: 1 asks that every draw reach the target."""
    p = _finite(text, "a probability above 0 and at most 1, such as 0.8")
    if not 0 < p <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability above 0 and at most 1, such as 0.8, got {text!r}")
    return p


def scale(text: str) -> float:
    """A finite, non-negative scale of a lever."""
    x = _finite(text, "a finite scale ≥ 0")
    if x < 0:
        raise argparse.ArgumentTypeError(f"expected a finite scale ≥ 0, got {text!r}")
    return x


def bounds(values: tuple[float, float]) -> tuple[float, float]:
    """``--bounds LOW HIGH`` with LOW < HIGH."""
    low, high = values
    if not low < high:
        raise ParameterError(f"--bounds {low:g} {high:g}: expected LOW < HIGH (the range of scales searched)")
    return low, high


def out_path(path: Path | None, formats: dict[str, str], what: str = "--out") -> Path | None:
    """Check an output path before any work (:func:`jdmodel.outputs.check_target`), Zarr's package too."""
    if path is None:
        return None
    from jdmodel.outputs import check_target

    path = check_target(path, what=what, formats=formats)
    if path.suffix.lower() == ".zarr":
        from jdmodel.pipeline.results import require_zarr

        require_zarr(path)
    if path.suffix.lower() == ".xlsx":
        from jdmodel.pipeline.results import require_openpyxl

        require_openpyxl(path)
    return path


def confirm_size(scenario, draws: int, out: Path, *, io: bool, yes: bool, stdin=None) -> float:
    """Say how much a per-draw results file will take; above 1 GB ask first (or refuse without a terminal).

    The size is measured on a two-draw run (:func:`jdmodel.pipeline.results.per_draw_bytes`) and
    scaled. ``yes`` skips the question. Without a terminal on standard input (a script, CI) a run
    over the limit is refused with a :class:`ParameterError` (exit 2) that gives the estimate.

    Returns
    -------
    float
        The estimate, bytes.
    """
    from jdmodel.pipeline.results import CONFIRM_BYTES, per_draw_bytes, size_text
    from jdmodel.progress import note

    stdin = sys.stdin if stdin is None else stdin
    est = per_draw_bytes(scenario, io=io) * draws
    if est <= CONFIRM_BYTES or yes:
        note(f"writing about {size_text(est)} of per-draw results to {out} ({draws:,} draws)")
        return est
    what = (f"--out {out}: {draws:,} draws of per-draw results take about {size_text(est)} "
            f"(more than {size_text(CONFIRM_BYTES)})")
    if not (hasattr(stdin, "isatty") and stdin.isatty()):
        raise ParameterError(f"{what}; not written without a confirmation: add --yes, or write the tables only "
                             "(--out FILE.csv, .json or .xlsx), or fewer draws")
    print(f"{what}. Write it? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise ParameterError(f"{what}; not written (answered {answer or 'no'!r})")
    return est


def _check_dask_address(address: str) -> None:
    """A malformed address is refused before a client is built (a half-built one stalls on exit)."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    expected = "expected a scheduler address such as tcp://127.0.0.1:8786"
    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            raise ValueError(f"unknown protocol {scheme!r}")
        if scheme in ("tcp", "tls"):
            _host, port = parse_host_port(location)
            if not 0 < int(port) < 65536:
                raise ValueError(f"port {port} is not between 1 and 65535")
    except (ValueError, TypeError) as err:
        raise ParameterError(f"--dask {address}: {err}; {expected}") from None


def dask_client(address: str):
    """A ``dask.distributed`` client for ``address``, or a ParameterError when none answers in a few seconds."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ParameterError("--dask needs dask.distributed: pip install 'jdmodel[scale]'") from None
    _check_dask_address(address)
    try:
        client = Client(address, timeout=f"{DASK_CONNECT_TIMEOUT}s", set_as_default=False)
    except Exception as err:  # unreachable, refused, malformed: all mean "no scheduler there"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ParameterError(f"--dask {address}: no dask scheduler answered within {DASK_CONNECT_TIMEOUT} s "
                             f"({reason}); expected the address of a running scheduler, such as "
                             "tcp://127.0.0.1:8786") from None
    try:
        client.wait_for_workers(1, timeout=DASK_WORKER_TIMEOUT)
    except Exception:  # a timeout, or the scheduler went away
        client.close()
        raise ParameterError(f"--dask {address}: the scheduler has no worker (waited {DASK_WORKER_TIMEOUT} s); "
                             f"start one with: dask worker {address}") from None
    return client
