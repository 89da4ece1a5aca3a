"""Writing results: one atomic-write helper for every file jdmodel produces.

A reader never sees half a file: everything is written to a temporary name beside the
target and renamed into place. The temporary name carries the writer's host and process id
(``.<name>.<pid>@<host>.jdmodel-tmp``), so a run that was killed leaves a file that the next
write into the same folder, on the same machine, recognises and removes (:func:`clean_stale`);
a writer on another machine sharing the folder is never touched. Files take the user's umask,
like any file a program writes. An existing directory is never deleted or replaced.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from jdmodel.errors import ParameterError

_TAG = ".jdmodel-tmp"


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "localhost"


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (threads may be writing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
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


def temporary_name(path: Path) -> Path:
    """Where :func:`atomic_path` writes before renaming: ``.<name>.<pid>@<host>.jdmodel-tmp`` beside ``path``."""
    return path.resolve().parent / f".{path.name}.{os.getpid()}@{_host()}{_TAG}"


def clean_stale(folder: Path) -> list[Path]:
    """Remove temporary files or folders left in ``folder`` by jdmodel writers that no longer run.

    Returns the paths removed. Only names of the form ``.<name>.<pid>@<host>.jdmodel-tmp`` (or
    ``.<name>.<pid>.jdmodel-tmp``, written by earlier versions) are touched, and only when the host
    is this machine and no process of that id runs.
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
        stem, _, host = name[: -len(_TAG)].partition("@")
        try:
            pid = int(stem.rsplit(".", 1)[1])
        except (IndexError, ValueError):
            continue
        if (host and host != _host()) or _alive(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def check_target(path: str | os.PathLike, *, what: str = "--out",
                 formats: Mapping[str, str] | None = None) -> Path:
    """Refuse, before any work, a target that cannot be written; return it as a Path.

    Refused: an extension not in ``formats`` (when given), a folder that does not exist or is not
    writable, an existing directory (jdmodel never deletes or replaces one) and anything else that
    is not a regular file (a device, a pipe). First, temporary files that killed writers left in
    the folder are removed (:func:`clean_stale`), whether or not the target is then accepted.

    Parameters
    ----------
    path : path-like
        The file (or Zarr store) to be written.
    what : str
        How the message names it: the option (``--out``) or the argument.
    formats : mapping, optional
        Accepted extensions (lower case, with the dot) → what they write, for the message.

    Examples
    --------
    >>> check_target("results.docx", formats={".nc": "NetCDF"})
    Traceback (most recent call last):
    ...
    jdmodel.errors.ParameterError: --out results.docx: unknown extension '.docx'; accepted: .nc (NetCDF)
    """
    path = Path(path)
    parent = path.resolve().parent
    if parent.is_dir():
        clean_stale(parent)
    if path.is_dir():
        raise ParameterError(f"{what} {path}: is an existing directory; jdmodel never deletes or replaces a "
                             "directory (choose a new name or remove it yourself)")
    if formats is not None and path.suffix.lower() not in formats:
        accepted = ", ".join(f"{ext} ({kind})" for ext, kind in formats.items())
        given = f"unknown extension {path.suffix!r}" if path.suffix else "no extension"
        raise ParameterError(f"{what} {path}: {given}; accepted: {accepted}")
    if not parent.is_dir():
        raise ParameterError(f"{what} {path}: the folder {parent} does not exist")
    if path.exists() and not path.is_file():
        raise ParameterError(f"{what} {path}: exists and is not a regular file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(f"{what} {path}: the folder {parent} is not writable")
    return path


@contextmanager
def atomic_path(path: str | os.PathLike, *, directory: bool = False, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it into place, on failure remove it.

    Parameters
    ----------
    path : path-like
        Final name. Its folder must exist; an existing directory there is refused.
    directory : bool
        The writer produces a directory (e.g. a Zarr store) instead of a file.
    overwrite : bool
        Replace an existing file at ``path`` (atomically). False refuses to, even when the file
        appears while writing: the rename then fails instead of replacing it.

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
    if not overwrite and path.exists():
        raise FileExistsError(errno.EEXIST, "exists", str(path))
    tmp = temporary_name(path)
    try:
        yield tmp
        if not directory and tmp.is_file():
            os.chmod(tmp, 0o666 & ~_umask())
        if directory and path.exists():
            raise ParameterError(f"--out {path}: appeared while writing; jdmodel never replaces a directory")
        if overwrite or directory:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except BaseException:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def _link_new(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the name ``path`` only if nothing has it (a hard link fails on an existing name)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
    except OSError:  # a file system without hard links: check, then rename
        if path.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def write_atomic(path: str | os.PathLike, data: bytes | str, *, overwrite: bool = True) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; return the path.

    With ``overwrite=False`` an existing file is left as it is and :class:`FileExistsError` raised.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(payload)
    return Path(path)
