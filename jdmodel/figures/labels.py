"""Bilingual labels for figures: Chinese where a font can draw it, English otherwise.

Sector names and units are Chinese in the plan (电子商务, 亿元). A figure shows them only when
an installed font really covers the characters — checked in the font's character map, not
guessed from its name — and falls back to English otherwise, so that no figure ever shows
empty boxes ("tofu") in place of missing glyphs.

Examples
--------
>>> labels = Labels(font=None)            # no CJK font: English only
>>> labels.sector("ecommerce", "电子商务", "E-commerce")
'E-commerce'
>>> labels.text("亿元", "100 million yuan")
'100 million yuan'
>>> Labels(font="Noto Sans CJK SC").sector("ecommerce", "电子商务", "E-commerce")
'电子商务 E-commerce'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Chinese characters a font must draw for jdmodel's figures: units and common words of labels. A plan's
# own labels are checked as well when a figure is drawn for it (:func:`labels` with ``plan``).
SAMPLE_TEXT = "亿元万公顷亩人年总产出增加值目标经济在线新服务业电子商务工业互联网文娱智慧交通"

# names that are probably CJK fonts are tried first (the character map still decides)
_LIKELY = ("cjk", "han", "hei", "song", "kai", "ming", "wenquanyi", "wqy", "yahei", "simsun", "fang",
           "droid sans fallback", "arphic", "ukai", "uming", "pingfang", "hiragino")


def _open(fname: str, index: int):
    from matplotlib import ft2font

    try:
        return ft2font.FT2Font(fname, face_index=index)
    except TypeError:                     # matplotlib without face_index
        return ft2font.FT2Font(fname)


@lru_cache(maxsize=1024)
def _draws(fname: str, index: int, chars: str) -> bool:
    """Whether the font has its own, non-empty glyph for each of ``chars`` (distinct, no whitespace)."""
    from matplotlib import ft2font

    try:
        font = _open(fname, index)
        cmap = font.get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    glyphs = [cmap.get(ord(c)) for c in chars]
    if not all(glyphs):                   # glyph 0 is .notdef: the character is missing
        return False
    # Fallback fonts such as "Last Resort" (shipped with matplotlib) map whole Unicode blocks onto
    # one placeholder glyph: they claim coverage and still draw boxes. Distinct characters must
    # have distinct glyphs with an outline.
    if len(set(glyphs)) < len(chars):
        return False
    flags = getattr(getattr(ft2font, "LoadFlags", None), "NO_HINTING", None)
    for c in chars:
        try:
            if flags is not None:
                font.load_char(ord(c), flags=flags)
            else:  # pragma: no cover - matplotlib < 3.10
                font.load_char(ord(c))
            vertices, _codes = font.get_path()
        except (RuntimeError, ValueError):
            return False
        if len(vertices) == 0:
            return False
    return True


def font_covers(fname: str, text: str, index: int = 0) -> bool:
    """Whether the font file ``fname`` (face ``index``) really draws every character of ``text``.

    Each character must map to a glyph of its own with an outline: a font that maps whole
    blocks onto one placeholder glyph (like matplotlib's bundled "Last Resort") does not count.

    Parameters
    ----------
    fname : str
        Path of a TrueType/OpenType font (or collection).
    text : str
        The characters to draw (whitespace is ignored).
    index : int
        Face index inside a font collection (``.ttc``).

    Examples
    --------
    >>> import matplotlib.font_manager as fm
    >>> dejavu = fm.findfont("DejaVu Sans")
    >>> font_covers(dejavu, "E-commerce"), font_covers(dejavu, "电子商务")
    (True, False)
    """
    chars = "".join(sorted({c for c in text if not c.isspace()}))
    return _draws(str(fname), int(index), chars)


def cjk_font(text: str = SAMPLE_TEXT, fonts: Iterable[Any] | None = None) -> str | None:
    """The family name of an installed font that covers every character of ``text``, or None.

    Parameters
    ----------
    text : str
        Characters that must all be present (default: every Chinese character the figures use).
    fonts : iterable of matplotlib ``FontEntry``, optional
        Fonts to consider; default ``matplotlib.font_manager.fontManager.ttflist``.

    Returns
    -------
    str or None
        A family name usable in ``rcParams["font.sans-serif"]``; None when no font covers the text.

    Examples
    --------
    >>> import matplotlib.font_manager as fm
    >>> cjk_font(fonts=[e for e in fm.fontManager.ttflist if e.name == "DejaVu Sans"]) is None
    True
    """
    if fonts is not None:
        return _first_covering(fonts, text)
    from matplotlib import font_manager

    found = _first_covering(font_manager.fontManager.ttflist, text)
    return found if found is not None else _installed_since_cache(text)


def _first_covering(fonts: Iterable[Any], text: str) -> str | None:
    entries = sorted(fonts, key=lambda e: (not any(w in e.name.lower() for w in _LIKELY), e.name))
    for entry in entries:
        if font_covers(entry.fname, text, getattr(entry, "index", 0)):
            return str(entry.name)
    return None


def _installed_since_cache(text: str) -> str | None:
    """Look for a covering font among system fonts that matplotlib's font cache does not list yet.

    matplotlib builds its font list once and caches it, so a font installed afterwards (say
    ``apt-get install fonts-wqy-microhei``) is invisible until the cache is rebuilt. A covering
    font found on disk is registered with ``fontManager.addfont`` so that figures can use it.
    """
    from matplotlib import font_manager as fm

    known = {e.fname for e in fm.fontManager.ttflist}
    for path in sorted(set(fm.findSystemFonts()) - known):
        if not any(font_covers(path, text, i) for i in range(_faces(path))):
            continue
        try:
            fm.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
        found = _first_covering([e for e in fm.fontManager.ttflist if e.fname == path], text)
        if found is not None:
            return found
    return None


def _faces(path: str) -> int:
    try:
        return max(1, _open(path, 0).num_faces) if str(path).lower().endswith((".ttc", ".otc")) else 1
    except (OSError, RuntimeError, ValueError):
        return 0


@dataclass(frozen=True)
class Labels:
    """Figure labels in Chinese and English when ``font`` is a CJK font, in English otherwise.

    Build it with :func:`labels` (which looks for a font); ``Labels(font=None)`` forces English.

    Attributes
    ----------
    font : str or None
        Family name of the CJK font used, None for English-only labels.
    """

    font: str | None
    names: tuple[tuple[str, str, str], ...] = ()   # (sector id, zh, en) of a plan, for labels without a Dataset

    @property
    def chinese(self) -> bool:
        """True when labels include Chinese."""
        return self.font is not None

    def text(self, zh: str, en: str) -> str:
        """``zh`` when Chinese can be drawn, else ``en``."""
        return zh if self.chinese else en

    def sector(self, sector: str, zh: str | None = None, en: str | None = None) -> str:
        """A sector's label: "电子商务 E-commerce" with a CJK font, "E-commerce" without."""
        known = {sid: (z, e) for sid, z, e in self.names}
        zh = zh or known.get(sector, (sector, sector))[0]
        en = en or known.get(sector, (sector, sector))[1]
        return f"{zh} {en}" if self.chinese and zh != en else en

    def sectors(self, ds: Any = None) -> dict[str, str]:
        """Label per sector id, from ``ds.sector_zh``/``ds.sector_en`` when a Dataset is given."""
        if ds is not None and "sector_zh" in getattr(ds, "coords", {}):
            return {str(s): self.sector(str(s), str(z), str(e)) for s, z, e in zip(
                ds["sector"].values, ds["sector_zh"].values, ds["sector_en"].values, strict=True)}
        return {sid: self.sector(sid) for sid, _, _ in self.names}

    def money(self) -> str:
        """The unit of money for an axis label."""
        return self.text("亿元", "100 million yuan")

    def rc(self) -> Mapping[str, Any]:
        """matplotlib rc settings that draw the labels (use with ``matplotlib.rc_context``).

        With a CJK font it is put first in the sans-serif list, DejaVu Sans after it as a
        per-glyph fallback; without one the settings are empty (matplotlib's defaults draw English).
        """
        if not self.chinese:
            return {}
        from matplotlib import rcParams

        rest = [f for f in rcParams["font.sans-serif"] if f != self.font]
        return {"font.family": "sans-serif", "font.sans-serif": [self.font, *rest],
                "axes.unicode_minus": False}


def labels(chinese: bool | None = None, fonts: Iterable[Any] | None = None, plan=None) -> Labels:
    """Labels for this machine: Chinese when a covering font is installed (or as asked).

    Parameters
    ----------
    chinese : bool, optional
        None (default) decides by the fonts; False forces English; True asks for Chinese and
        still falls back to English when no installed font covers the characters.
    fonts : iterable of FontEntry, optional
        As in :func:`cjk_font`.
    plan : str, Path or Plan, optional
        The plan whose sector names label the figures (default: the default plan); its Chinese
        labels must be covered by the font too.

    Examples
    --------
    >>> labels(chinese=False).sector("smart_transport")
    'Smart transport'
    """
    from jdmodel.params.plan import load_plan

    p = load_plan(plan)
    names = tuple((s.id, s.zh, s.en) for s in p.sectors)
    if chinese is False:
        return Labels(font=None, names=names)
    own = "".join(dict.fromkeys("".join(z for _, z, _ in names)))
    return Labels(font=cjk_font(text=SAMPLE_TEXT + own, fonts=fonts), names=names)
