"""Reading parameter files: TOML → flat dotted keys → :class:`Param` values.

Nothing read from a file is ever evaluated as code: TOML is parsed by :mod:`tomllib` (:func:`read_toml`)
and every value is checked against :mod:`jdmodel.params.schema` before use
(:func:`jdmodel.params.leaf.parse_leaf`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jdmodel.errors import ParameterError


@dataclass(frozen=True)
class Param:
    """One resolved parameter in canonical units.

    ``value`` is a float, a bool, a choice (str), or a float array (a path over the lever years,
    or a per-sector list). ``dist`` holds the distribution table (canonical units) when the
    parameter is uncertain; ``origin`` is the file (or ``"override"``) that set it;
    ``informed_by`` lists the observation ids whose figures were looked at to set it (a backtest
    treats a prior informed by a later figure as contaminated).
    """

    key: str
    value: Any
    unit: str
    source: str
    low: float | None = None
    high: float | None = None
    dist: Mapping[str, Any] | None = None
    origin: str = ""
    derived: bool = False
    informed_by: tuple[str, ...] = ()

    def as_record(self) -> dict[str, Any]:
        """A JSON-friendly record (used for the hash and for reports)."""
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        rec = {"key": self.key, "value": value, "unit": self.unit, "source": self.source}
        for name in ("low", "high"):
            if getattr(self, name) is not None:
                rec[name] = getattr(self, name)
        if self.dist:
            rec["dist"] = dict(self.dist)
        if self.informed_by:
            rec["informed_by"] = list(self.informed_by)
        return rec


@dataclass
class Problems:
    """Collects every problem found in a file so they are reported together."""

    where: str
    items: list[str] = field(default_factory=list)

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{self.where}: {key}: {message}" if key else f"{self.where}: {message}")

    def raise_if_any(self, summary: str) -> None:
        if self.items:
            raise ParameterError(summary, self.items)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; whatever keeps it from being read becomes a :class:`ParameterError` naming the file.

    The file must be UTF-8 (a leading byte-order mark is accepted); a file in another encoding is
    refused with the encoding it most likely has (UTF-16 or UTF-32 by their byte-order marks, GBK
    when it decodes as GB18030), not read wrongly. Tables and arrays nested more than
    ``_MAX_DEPTH`` deep and integers beyond the range of a float are refused too, so the code that
    reads the tree never meets them.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ParameterError(f"{path}: no such parameter file") from None
    except IsADirectoryError:
        raise ParameterError(f"{path}: is a directory, not a parameter file") from None
    except OSError as err:
        raise ParameterError(f"{path}: cannot be read ({err.strerror or err})") from None
    text = _utf8_text(path, raw)
    try:
        tree = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path}: not valid TOML ({err})") from None
    except RecursionError:
        raise ParameterError(f"{path}: not valid TOML (arrays or tables nested too deeply to read)") from None
    except ValueError as err:  # an integer of more than sys.get_int_max_str_digits() digits
        raise ParameterError(f"{path}: not valid TOML ({err})") from None
    _check_tree(path, tree)
    return tree


_MAX_DEPTH = 32          # tables and arrays inside each other; the schema needs four
_FLOAT_MAX = float(np.finfo(np.float64).max)


def _utf8_text(path: Path, raw: bytes) -> str:
    """The file's text as UTF-8 (BOM dropped), or a ParameterError naming the encoding it looks like."""
    import codecs

    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        text = raw.decode("utf-8")
        if text.count("\0") <= len(text) // 4:
            return text
        bad = "NUL bytes"
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        bad = f"byte 0x{raw[err.start]:02x} on line {line} is not UTF-8"
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        guess = "it is UTF-32 (it starts with a UTF-32 byte-order mark)"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        guess = "it is UTF-16 (it starts with a UTF-16 byte-order mark)"
    elif raw.count(0) > len(raw) // 4:
        guess = "it looks like UTF-16 without a byte-order mark (every other byte is zero)"
    else:
        try:
            raw.decode("gb18030")
            guess = f"{bad}; it looks like GBK/GB18030 (a Chinese Windows encoding)"
        except UnicodeDecodeError:
            guess = f"{bad}"
    raise ParameterError(f"{path}: not UTF-8 text: {guess}; save it as UTF-8 (in an editor: Save As, "
                         "encoding UTF-8)")


def _check_tree(path: Path, tree: dict[str, Any]) -> None:
    """Refuse nesting deeper than ``_MAX_DEPTH`` and integers no float can hold, naming their keys."""
    probs = Problems(str(path))
    stack: list[tuple[Any, str, int]] = [(tree, "", 1)]
    while stack:
        node, where, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ParameterError(f"{path}: {where[:80]}…: tables or arrays nested more than {_MAX_DEPTH} deep")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for name, item in items:
            key = f"{where}[{name}]" if isinstance(node, list) else f"{where}.{name}" if where else str(name)
            if isinstance(item, dict | list):
                stack.append((item, key, depth + 1))
            elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > _FLOAT_MAX:
                digits = int(item.bit_length() * 0.30103) + 1
                probs.add(key, f"an integer of about {digits} digits is too large for a number "
                               f"(at most about {_FLOAT_MAX:.1e})")
    probs.raise_if_any("invalid parameter file")


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested tables to dotted keys; a table with ``value`` (or ``dist``) is a leaf."""
    out: dict[str, Any] = {}
    for name, item in tree.items():
        key = f"{prefix}{name}"
        if isinstance(item, Mapping) and not ({"value", "dist"} & set(item)):
            out.update(flatten(item, key + "."))
        else:
            out[key] = item
    return out


_PLAN_SCENARIO = re.compile(r"^([a-z][a-z0-9_]*)/([a-z][A-Za-z0-9_\-]*)$")


def resolve_reference(ref: str, relative_to: Path | None, plan, allowed: tuple[Path, ...] = ()) -> tuple[Path, Any]:
    """Resolve a scenario reference to ``(file, plan)`` without opening anything outside the allowed places.

    * ``name`` — a scenario of ``plan`` (``baseline`` is the plan's baseline file);
    * ``plan/name`` — a scenario of another shipped plan;
    * ``path.toml`` — a file, relative to ``relative_to`` (the referencing file's folder); it must lie
      under that folder, under the plan's folder, or under a folder of ``allowed``.

    Raises
    ------
    ParameterError
        For a path outside those folders (refused without opening it).
    """
    from jdmodel.params.plan import load_plan

    m = _PLAN_SCENARIO.match(ref)
    if m and not ref.endswith(".toml"):
        other = load_plan(m[1])
        return other.scenario_path(m[2]), other
    if ref.endswith(".toml") or "/" in ref or "\\" in ref:
        path = Path(ref)
        base = relative_to if relative_to is not None else Path.cwd()
        if not path.is_absolute():
            path = base / path
        path = Path(os.path.normpath(path.absolute()))
        roots = [Path(os.path.normpath(Path(r).absolute())) for r in (base, plan.folder, *allowed)]
        if not any(path == r or r in path.parents for r in roots):
            raise ParameterError(f"extends {ref!r}: refused — a parent file must be a scenario name or lie under "
                                 f"{base} (the file's own folder) or the plan's folder; name other folders "
                                 "explicitly (allow=...)")
        return path, plan
    return plan.scenario_path(ref), plan


def available_scenarios(plan=None) -> list[str]:
    """Names of a plan's scenarios (``baseline`` first); the default plan when none is given."""
    from jdmodel.params.plan import load_plan

    return load_plan(plan).scenarios()
