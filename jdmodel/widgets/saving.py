"""Saving a dashboard's settings: a scenario file written into one folder, or handed to the browser.

:class:`Saving` is the part of :class:`jdmodel.widgets.Dashboard` that writes: only into the folder
fixed when the dashboard starts (``save_dir``), under a plain name (:data:`NAME_PATTERN`, never a
path), an existing file replaced only after an explicit "Overwrite"; the download link writes nothing
on the machine that runs the kernel.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import jdmodel as jd
from jdmodel.widgets.scenario_file import scenario_toml

#: A saved scenario's name: letters (any script), digits, ``_``, ``-``, ``.`` and spaces, starting with a letter,
#: digit or ``_``; at most 100 characters. No path separator can occur, so no file lands outside the save folder.
NAME_PATTERN = re.compile(r"\w[\w.\- ]{0,99}")


class Saving:
    """Saving and downloading the settings; mixed into :class:`~jdmodel.widgets.Dashboard`, whose state
    (``base``, ``current_scenario``, ``save_dir``, ``plain``, the save widgets, ``changed``, ``overrides``)
    it reads."""

    def toml(self) -> str:
        """The current settings as a scenario file: ``extends`` the scenario plus dotted overrides."""
        current = self.current_scenario if self.current_scenario is not None else self.base
        moved = ", ".join(f"{a}.{b}" for a, b in self.changed())
        return scenario_toml(self.base, current, self.overrides(), moved)

    def file_name(self, name: str) -> str:
        """``NAME.toml`` for a plain name (a trailing ``.toml`` is allowed), or a ParameterError saying why not.

        A name is letters, digits, ``_``, ``-``, ``.`` and spaces (:data:`NAME_PATTERN`): no path
        separator, no ``..``, no absolute path, nothing hidden; so the file lands in :attr:`save_dir`.
        """
        text = str(name).strip()
        stem = text[:-5] if text.lower().endswith(".toml") else text
        if not NAME_PATTERN.fullmatch(stem) or ".." in stem:
            raise jd.ParameterError(
                f"scenario name {text!r}: expected a plain name of letters, digits, '_', '-', '.' or spaces "
                f"(no '/', '\\', '..' or leading dot; at most 100 characters); it is saved in {self.save_dir}")
        return stem + ".toml"

    def save(self, name: str, *, overwrite: bool = False) -> Path:
        """Write :meth:`toml` as ``NAME.toml`` in :attr:`save_dir` (``jdmodel check`` accepts it); return the path.

        Parameters
        ----------
        name : str
            A plain name (see :meth:`file_name`), not a path.
        overwrite : bool
            Replace an existing file of that name. Without it an existing file is left as it was
            and :class:`FileExistsError` raised.
        """
        from jdmodel.outputs import write_atomic

        path = self.save_dir / self.file_name(name)
        if self.save_dir.exists() and not self.save_dir.is_dir():
            raise jd.ParameterError(f"save folder {self.save_dir}: exists and is not a folder")
        self.save_dir.mkdir(parents=True, exist_ok=True)
        return write_atomic(path, self.toml(), overwrite=overwrite)

    def download_link(self, name: str | None = None) -> str:
        """An HTML link that hands :meth:`toml` to the browser as a file (a ``data:`` URI): nothing is written here."""
        try:
            filename = self.file_name(name if name is not None else self.save_path.value)
        except jd.JdmodelError:
            filename = "dashboard_scenario.toml"
        payload = base64.b64encode(self.toml().encode("utf-8")).decode("ascii")
        what = ("(a scenario file: keep it, share it, or send it to whoever runs the model)" if self.plain else
                "(a scenario file for <code>jdmodel check</code> / <code>jdmodel run</code>)")
        return (f"<a class='jd-download-link' download='{html.escape(filename)}' "
                f"href='data:application/toml;charset=utf-8;base64,{payload}'>&#11015; Download these settings as "
                f"<code>{html.escape(filename)}</code></a> <small>{what}</small>")

    def _hide_overwrite(self) -> None:
        self.overwrite_button.layout.display = "none"
        if self.current_scenario is not None:
            self.download.value = self.download_link()

    def _save_clicked(self, overwrite: bool = False) -> None:
        self.overwrite_button.layout.display = "none"
        try:
            path = self.save(self.save_path.value, overwrite=overwrite)
            from jdmodel.params.checkfile import check_file

            verdict = check_file(path)
        except FileExistsError:
            name = self.file_name(self.save_path.value)
            self.overwrite_button.layout.display = None
            self.saved.value = (f"<span style='color:#d62728'><code>{html.escape(name)}</code> already exists in "
                                f"<code>{html.escape(str(self.save_dir))}</code>: click <b>Overwrite</b> to "
                                "replace it, or choose another name.</span>")
            return
        except (OSError, jd.JdmodelError) as err:
            self.saved.value = f"<span style='color:#d62728'>{html.escape(str(err))}</span>"
            return
        if self.plain:
            self.saved.value = f"<small>Saved as <code>{html.escape(path.name)}</code>.</small>"
            return
        self.saved.value = (f"<small>Saved <code>{html.escape(str(path))}</code> — "
                            f"{html.escape(verdict.split(': ', 1)[-1])}. Run it with "
                            f"<code>jdmodel run {html.escape(str(path))}</code>.</small>"
                            f"<details><summary>file</summary><pre>{html.escape(self.toml())}</pre></details>")
