"""Writing results: one atomic-write helper for every file jdmodel produces.

A reader never sees half a file: everything is written to a temporary name beside the
target and renamed into place. The temporary name carries the writer's process id, so a
run that was killed leaves a file that the next write into the same folder recognises and
removes (:func:`clean_stale`). Files take the user's umask, like any file a program writes.
An existing directory is never deleted or replaced.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jdmodel.errors import ParameterError

_TAG = ".jdmodel-tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_stale(folder: Path) -> list[Path]:
    """Remove temporary files or folders left in ``folder`` by jdmodel writers that no longer run.

    Returns the paths removed. Only names of the form ``.<name>.<pid>.jdmodel-tmp`` whose
    process is gone are touched.
    """
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and name.endswith(_TAG)):
            continue
        try:
            pid = int(name[: -len(_TAG)].rsplit(".", 1)[1])
        except (IndexError, ValueError):
            continue
        if _alive(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def check_target(path: Path, *, what: str = "--out") -> Path:
    """Refuse a target that cannot be written: a missing folder, or an existing directory."""
    path = Path(path)
    parent = path.resolve().parent
    if not parent.is_dir():
        raise ParameterError(f"{what} {path}: the folder {parent} does not exist")
    if path.is_dir():
        raise ParameterError(f"{what} {path}: is an existing directory; jdmodel never deletes or replaces a "
                             "directory (choose a new name or remove it yourself)")
    return path


@contextmanager
def atomic_path(path: str | os.PathLike, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it into place, on failure remove it.

    Parameters
    ----------
    path : path-like
        Final name. Its folder must exist; an existing directory there is refused.
    directory : bool
        The writer produces a directory (e.g. a Zarr store) instead of a file.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "a.txt").read_text(), sorted(p.name for p in d.iterdir())
    ('done', ['a.txt'])
    """
    path = check_target(Path(path))
    clean_stale(path.resolve().parent)
    tmp = path.resolve().parent / f".{path.name}.{os.getpid()}{_TAG}"
    try:
        yield tmp
        if not directory and tmp.is_file():
            os.chmod(tmp, 0o666 & ~_umask())
        if directory and path.exists():
            raise ParameterError(f"--out {path}: appeared while writing; jdmodel never replaces a directory")
        os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; return the path."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return Path(path)
