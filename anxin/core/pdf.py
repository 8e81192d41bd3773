"""PDF documents from simple blocks, with Chinese text that renders on any reader.

Why this module exists: the electronic work order (电子工单) and the monthly quality report are
handed to customers and auditors as PDF files that must show Chinese correctly on a machine that
has no Chinese fonts. So the font is *embedded* (subset to the glyphs used, so a one-page
document stays small) and comes from the project's own install step, never from the host:
``make install`` runs ``npm ci``, which installs ``@expo-google-fonts/noto-sans-sc`` (Google
Fonts' Noto Sans SC as static TrueType-outline ``.ttf`` files, OFL-1.1) into ``node_modules``.

Rendering is CPU work of a second or so (the 10 MB font is parsed and subset), so callers run it
in the worker (``anxin.worker``), never inside a web request.

Usage::

    from anxin.core import pdf

    data = pdf.render(
        [pdf.Title("电子工单"), pdf.KeyValues([("工单号", "WO-1")]),
         pdf.Table(["项目", "金额"], [["更换机油", "¥ 320.00"]])],
        title="电子工单 WO-1", footer="安心 · 浙A12345",
    )
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

FONT_FAMILY = "NotoSansSC"
FONT_PACKAGE = "@expo-google-fonts/noto-sans-sc"
_FONT_FILES = {
    "": "400Regular/NotoSansSC_400Regular.ttf",
    "B": "700Bold/NotoSansSC_700Bold.ttf",
}
# CJK ideographs, punctuation, full-width forms.
_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]")

# fontTools logs every table it subsets at INFO: noise in the worker's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_RULE = (206, 212, 218)
_HEAD_FILL = (233, 236, 239)
_ALIGN = {"L": "LEFT", "C": "CENTER", "R": "RIGHT"}


class FontMissing(RuntimeError):
    """The embedded Chinese font is not installed (``make install`` installs it)."""


def font_paths() -> dict[str, Path]:
    """Where the regular and bold font files are; raises :class:`FontMissing` if absent.

    Refusing is deliberate: a PDF without the font would show empty boxes to the customer.
    """
    base = Path(getattr(settings, "NODE_MODULES", Path(settings.BASE_DIR) / "node_modules"))
    paths = {style: base / FONT_PACKAGE / rel for style, rel in _FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FontMissing(
            f"The Chinese PDF font is not installed ({', '.join(missing)}). "
            "Run `make install` (npm ci)."
        )
    return paths


# ---------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Subtitle:
    text: str


@dataclass(frozen=True)
class Heading:
    """A section heading inside the document (e.g. "维修项目")."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    small: bool = False
    muted: bool = False


@dataclass(frozen=True)
class KeyValues:
    """Label/value pairs laid out in ``columns`` pairs per row (a form-like header block)."""

    pairs: Sequence[tuple[str, str]]
    columns: int = 2


@dataclass(frozen=True)
class Table:
    """A table with one header row; the header repeats on every page the table spans.

    ``widths`` are relative column widths; ``align`` is one letter per column
    (``L``, ``C``, ``R``), e.g. ``"LLRR"`` for money columns on the right.
    """

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float] | None = None
    align: str | None = None
    total: Sequence[str] | None = None


@dataclass(frozen=True)
class Image:
    """An embedded raster image (PNG or JPEG bytes), e.g. a chart rendered by matplotlib."""

    data: bytes
    width_mm: float = 170
    caption: str = ""


@dataclass(frozen=True)
class Spacer:
    height_mm: float = 4


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Title | Subtitle | Heading | Paragraph | KeyValues | Table | Image | Spacer | PageBreak


@dataclass
class _Options:
    title: str
    footer: str
    author: str
    generated_at: datetime | None


# ---------------------------------------------------------------- rendering


class _Document(FPDF):
    """A4 portrait with the embedded font, a running footer and "第 x / y 页" page numbers."""

    def __init__(self, options: _Options) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.options = options
        for style, path in font_paths().items():
            self.add_font(FONT_FAMILY, style=style, fname=str(path))
        self.set_font(FONT_FAMILY, size=10)
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(options.title)
        self.set_author(options.author)
        self.set_creator("Anxin")
        self.set_lang("zh-CN")
        if options.generated_at is not None:
            self.set_creation_date(options.generated_at)

    def footer(self) -> None:  # called by fpdf2 on every page
        self.set_y(-13)
        self.set_draw_color(*_RULE)
        self.line(self.l_margin, self.get_y() - 1, self.w - self.r_margin, self.get_y() - 1)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(*_MUTED)
        width = self.w - self.l_margin - self.r_margin
        self.cell(width * 0.75, 5, self.options.footer, align=Align.L)
        self.cell(width * 0.25, 5, f"第 {self.page_no()} / {{nb}} 页", align=Align.R)
        self.set_text_color(*_INK)

    @property
    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin


def _wrapmode(text: str) -> WrapMode:
    """Mostly-Chinese text breaks between any two characters (as Chinese is set); text that is
    mostly Latin breaks between words. In WORD mode a run of Chinese too long for the line is
    still broken between characters, so table cells and labels always use WORD."""
    letters = [c for c in text if not c.isspace()]
    cjk = sum(1 for c in letters if _CJK.match(c))
    return WrapMode.CHAR if letters and cjk / len(letters) >= 0.3 else WrapMode.WORD


def _text(
    doc: _Document,
    text: str,
    size: float,
    *,
    bold: bool = False,
    height: float = 0,
    color: tuple[int, int, int] = _INK,
    align: Align = Align.L,
) -> None:
    doc.set_font(FONT_FAMILY, style="B" if bold else "", size=size)
    doc.set_text_color(*color)
    doc.multi_cell(
        doc.content_width,
        height or size * 0.5,
        text,
        align=align,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
        wrapmode=_wrapmode(text),
    )
    doc.set_text_color(*_INK)


def _key_values(doc: _Document, block: KeyValues) -> None:
    cols = max(1, block.columns)
    pairs = list(block.pairs)
    if not pairs:
        return
    doc.set_font(FONT_FAMILY, size=9)
    label_w = 0.36
    widths = []
    for _ in range(cols):
        widths += [label_w, 1 - label_w]
    with doc.table(
        col_widths=widths,
        first_row_as_headings=False,
        text_align="LEFT",
        line_height=5.0,
        borders_layout="HORIZONTAL_LINES",
        wrapmode=WrapMode.WORD,
        padding=(1, 1.5),
    ) as table:
        for start in range(0, len(pairs), cols):
            row = table.row()
            chunk = pairs[start : start + cols]
            chunk += [("", "")] * (cols - len(chunk))
            for label, value in chunk:
                row.cell(str(label), style=FontFace(color=_MUTED))
                row.cell(str(value))
    doc.ln(2)


def _table(doc: _Document, block: Table) -> None:
    ncols = len(block.header)
    rows = [[str(c) for c in r] for r in block.rows]
    for r in rows:
        if len(r) != ncols:
            raise ValueError(f"table row has {len(r)} cells, header has {ncols}: {r!r}")
    align = (block.align or "L" * ncols).upper()
    if len(align) != ncols:
        raise ValueError("align needs one letter per column")
    doc.set_font(FONT_FAMILY, size=8.5)
    heading = FontFace(emphasis="BOLD", fill_color=_HEAD_FILL)
    with doc.table(
        col_widths=tuple(block.widths) if block.widths else None,
        line_height=5.0,
        headings_style=heading,
        wrapmode=WrapMode.WORD,
        padding=(1, 1.5),
        borders_layout="SINGLE_TOP_LINE",
        text_align=tuple(_ALIGN[a] for a in align),
    ) as table:
        head = table.row()
        for h in block.header:
            head.cell(str(h))
        for r in rows:
            row = table.row()
            for c in r:
                row.cell(c)
        if block.total:
            row = table.row()
            for c in block.total:
                row.cell(str(c), style=FontFace(emphasis="BOLD"))
    doc.ln(2)


def _image(doc: _Document, block: Image) -> None:
    width = min(block.width_mm, doc.content_width)
    doc.image(io.BytesIO(block.data), x=doc.l_margin + (doc.content_width - width) / 2, w=width)
    if block.caption:
        _text(doc, block.caption, 8.5, color=_MUTED, align=Align.C)
    doc.ln(2)


def render(
    blocks: Sequence[Block],
    *,
    title: str,
    footer: str = "",
    author: str = "Anxin 安心",
    generated_at: datetime | None = None,
) -> bytes:
    """Lay out ``blocks`` on A4 pages and return the PDF file's bytes.

    ``generated_at`` fixes the document's creation date (tests and reproducible output);
    without it the current time is used.
    """
    doc = _Document(_Options(title=title, footer=footer, author=author, generated_at=generated_at))
    doc.add_page()
    for block in blocks:
        if isinstance(block, Title):
            _text(doc, block.text, 16, bold=True, height=8.5)
            doc.ln(1)
        elif isinstance(block, Subtitle):
            _text(doc, block.text, 10.5, color=_MUTED, height=6)
            doc.ln(2)
        elif isinstance(block, Heading):
            doc.ln(1)
            _text(doc, block.text, 11.5, bold=True, height=6.5)
            doc.set_draw_color(*_RULE)
            doc.line(doc.l_margin, doc.get_y(), doc.w - doc.r_margin, doc.get_y())
            doc.ln(1)
        elif isinstance(block, Paragraph):
            size = 8.5 if block.small else 10
            _text(doc, block.text, size, height=size * 0.55, color=_MUTED if block.muted else _INK)
            doc.ln(1)
        elif isinstance(block, KeyValues):
            _key_values(doc, block)
        elif isinstance(block, Table):
            _table(doc, block)
        elif isinstance(block, Image):
            _image(doc, block)
        elif isinstance(block, Spacer):
            doc.ln(block.height_mm)
        elif isinstance(block, PageBreak):
            doc.add_page()
        else:  # pragma: no cover - a programming error, not user input
            raise TypeError(f"not a PDF block: {block!r}")
    return bytes(doc.output())
