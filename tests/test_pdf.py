"""The shared PDF facility: Chinese text is embedded, extractable and drawn with real glyphs."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from fontTools.ttLib import TTFont
from PIL import Image as PILImage
from PIL import ImageDraw
from pypdf import PdfReader

from anxin.core import pdf

WHEN = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def chart_png() -> bytes:
    img = PILImage.new("RGB", (400, 200), "white")
    draw = ImageDraw.Draw(img)
    for i, h in enumerate((60, 120, 90, 150)):
        draw.rectangle([30 + i * 90, 190 - h, 90 + i * 90, 190], fill=(13, 110, 253))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def work_order(rows: int = 2) -> bytes:
    return pdf.render(
        [
            pdf.Title("电子工单 WO-2026-000123"),
            pdf.Subtitle("杭州西湖安心汽车服务有限公司"),
            pdf.KeyValues([("车牌", "浙A·12345"), ("验证码", "7K3M-Q9TX"), ("里程", "23,456 km")]),
            pdf.Heading("维修项目"),
            pdf.Table(
                ["项目", "金额", "质保"],
                [[f"更换动力电池冷却液 第{i}项", "¥ 270.00", "2 年"] for i in range(rows)],
                widths=[60, 20, 20],
                align="LRL",
                total=["合计", "¥ 270.00", ""],
            ),
            pdf.Paragraph("依据三包规定出具。Keep this document for your records."),
            pdf.Image(chart_png(), width_mm=100, caption="图 1：月度工单量"),
        ],
        title="电子工单",
        footer="安心 · 验证码 7K3M-Q9TX",
        generated_at=WHEN,
    )


def fonts_of(reader: PdfReader) -> dict[str, object]:
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    return fonts


def test_the_chinese_font_is_embedded_as_a_subset():
    reader = PdfReader(io.BytesIO(work_order()))
    fonts = fonts_of(reader)
    assert any("NotoSansSC" in name for name in fonts), fonts
    for name, font in fonts.items():
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{name} is not embedded"
        # Subset: a tag like ABCDEF+ and far fewer bytes than the 10 MB source font.
        assert "+" in name
        assert len(descriptor["/FontFile2"].get_object().get_data()) < 500_000


def glyphs_for(font, text: str) -> dict[str, int]:
    """For each character: the number of contours of the glyph the PDF draws for it, found
    through the font's ToUnicode map (code -> character) and CIDToGIDMap (code -> glyph)."""
    descendant = font["/DescendantFonts"][0].get_object()
    embedded = TTFont(
        io.BytesIO(descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data())
    )
    cid_to_gid = descendant["/CIDToGIDMap"]
    gid_map = None if cid_to_gid == "/Identity" else cid_to_gid.get_object().get_data()
    code_of: dict[str, int] = {}
    for line in font["/ToUnicode"].get_object().get_data().decode("latin-1").splitlines():
        parts = line.replace("<", " ").replace(">", " ").split()
        if len(parts) == 2 and all(len(p) == 4 for p in parts):
            code_of.setdefault(chr(int(parts[1], 16)), int(parts[0], 16))
    order = embedded.getGlyphOrder()
    glyf = embedded["glyf"]
    contours = {}
    for char in text:
        code = code_of[char]
        gid = code if gid_map is None else int.from_bytes(gid_map[2 * code : 2 * code + 2], "big")
        contours[char] = glyf[order[gid]].numberOfContours
    return contours


def test_the_embedded_glyphs_are_outlines_not_empty_boxes():
    """Every character maps to a glyph with contours in the embedded font (regular for body
    text, bold for the title), so a reader without Chinese fonts draws the real characters."""
    fonts = fonts_of(PdfReader(io.BytesIO(work_order())))
    regular = next(f for n, f in fonts.items() if n.endswith("+NotoSansSC"))
    bold = next(f for n, f in fonts.items() if n.endswith("+NotoSansSCBold"))
    for font, text in ((regular, "杭州西湖安心汽车服务有限公司验证码"), (bold, "电子工单维修项目")):
        contours = glyphs_for(font, text)
        assert all(n != 0 for n in contours.values()), contours


def test_text_extraction_returns_the_chinese_strings():
    reader = PdfReader(io.BytesIO(work_order()))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ("电子工单", "杭州西湖安心汽车服务有限公司", "验证码", "7K3M-Q9TX", "维修项目"):
        assert expected in text
    assert "依据三包规定出具" in text
    assert "合计" in text
    assert reader.metadata.title == "电子工单"


def test_long_tables_continue_on_numbered_pages_with_the_footer():
    reader = PdfReader(io.BytesIO(work_order(rows=80)))
    assert len(reader.pages) >= 2
    last = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"第 {number} / {last} 页" in text
        assert "7K3M-Q9TX" in text  # footer on every page
        assert "项目" in text  # the header row repeats
    assert "第79项" in reader.pages[-1].extract_text().replace(" ", "")


def test_the_chart_image_is_embedded():
    reader = PdfReader(io.BytesIO(work_order()))
    images = [img for page in reader.pages for img in page.images]
    assert images
    assert images[0].image.size == (400, 200)


def test_output_is_deterministic_for_a_fixed_creation_date():
    assert work_order() == work_order()


def test_a_row_with_the_wrong_number_of_cells_is_refused():
    with pytest.raises(ValueError, match="2 cells"):
        pdf.render([pdf.Table(["a", "b", "c"], [["1", "2"]])], title="x")


def test_a_missing_font_is_a_clear_error_not_a_pdf_of_boxes(settings, tmp_path):
    settings.NODE_MODULES = tmp_path
    with pytest.raises(pdf.FontMissing, match="make install"):
        pdf.render([pdf.Title("电子工单")], title="x")


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_a_rasterised_page_shows_dark_title_glyphs(tmp_path):
    """Poppler draws the page: the title line has ink (a missing font would draw nothing or
    hollow boxes, which the glyph test above rules out)."""
    path = tmp_path / "wo.pdf"
    path.write_bytes(work_order())
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    page = PILImage.open(png).convert("L")
    width, _ = page.size
    title_band = page.crop((0, int(16 / 297 * page.height), width, int(26 / 297 * page.height)))
    dark = sum(title_band.histogram()[:100])
    assert dark > 200
