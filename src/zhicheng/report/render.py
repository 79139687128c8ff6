"""Rendering a :class:`~zhicheng.report.document.Document`: HTML (Jinja2), PDF (WeasyPrint), Word (python-docx).

One template per report kind (``templates/<kind>.html.j2``) gives the HTML; the PDF is that HTML laid
out by WeasyPrint with ``report.css`` (page numbers, contents with page numbers, table headers
repeated on every page); the Word file is built from the same HTML, walked element by element, so
the three formats say the same. Data enter the page only through Jinja2's autoescaping.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

from zhicheng import numfmt
from zhicheng.report import charts as chartlib
from zhicheng.report.document import Document, ReportError, check
from zhicheng.report.labels import word

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment(templates: Path | None, lang: str) -> Any:
    import jinja2

    folders = [str(templates)] if templates else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, str(TEMPLATES)]),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True,
    )
    env.filters.update({
        "score": numfmt.score, "amount": lambda v: numfmt.amount(v, lang), "percent": numfmt.percent,
        "integer": numfmt.integer, "interval": numfmt.interval,
    })
    return env


def html(doc: Document, *, templates: Path | None = None, chart_format: str = "svg") -> str:
    """The report as one self-contained HTML page (inline CSS and SVG charts).

    ``chart_format="placeholder"`` puts ``<img data-chart=name>`` where each chart goes (for Word).
    """
    env = _environment(templates, doc.lang)
    css_path = (templates / "report.css") if templates and (templates / "report.css").exists() else TEMPLATES / "report.css"
    import markupsafe

    if chart_format == "svg":
        # Each chart an SVG image of its own (a data: URL): the page stays one self-contained file and
        # the layout engine does not cascade the page's styles into thousands of drawing elements.
        drawn = {name: markupsafe.Markup('<img alt="{}" src="data:image/svg+xml;base64,{}">').format(
                     spec.get("title") or name, base64.b64encode(chartlib.draw(spec, "svg")).decode())
                 for name, spec in doc.charts.items()}
    else:
        drawn = {name: markupsafe.Markup(f'<img data-chart="{markupsafe.escape(name)}">') for name in doc.charts}
    import jinja2

    try:
        template = env.get_template(f"{doc.kind}.html.j2")
        return str(template.render(doc=doc, charts=drawn, css=markupsafe.Markup(css_path.read_text(encoding="utf-8")),
                                   toc=doc.toc, fingerprint=doc.fingerprint(),
                                   w=lambda key, **fill: word(key, doc.lang, **fill)))
    except jinja2.TemplateError as exc:  # an edited template that does not fit the report's data
        where = f"{exc.filename}, line {exc.lineno}" if isinstance(exc, jinja2.TemplateSyntaxError) else f"{doc.kind}.html.j2"
        raise ReportError(f"report template {where}: {exc}") from None


def pdf(doc: Document, *, templates: Path | None = None) -> bytes:
    """The report as PDF (WeasyPrint), fonts embedded and subset, metadata from the report."""
    import weasyprint

    page = weasyprint.HTML(string=html(doc, templates=templates), base_url=str(templates or TEMPLATES))
    rendered = page.render()
    rendered.metadata.title = doc.title
    rendered.metadata.authors = ["zhicheng"]
    # The run's time, not the clock's: the same report twice is the same document.
    created = str(doc.provenance.get("run_created") or "")[:19].replace(" ", "T")
    rendered.metadata.created = rendered.metadata.modified = created or None
    rendered.metadata.generator = "zhicheng"
    return bytes(rendered.write_pdf(uncompressed_pdf=False, custom_metadata=False))


# --- Word ---------------------------------------------------------------------------------------

def _set_repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    props.append(flag)


def _field(paragraph: Any, instruction: str) -> None:
    """A Word field (PAGE, TOC …) that Word fills in when the document is opened."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            if kind == "begin":
                el.set(qn("w:dirty"), "true")
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


class _WordWriter:
    """Walks the report's HTML and writes the same headings, paragraphs, tables and charts."""

    def __init__(self, doc: Document) -> None:
        import docx
        from docx.shared import Pt

        self.report = doc
        self.out = docx.Document()
        style = self.out.styles["Normal"]
        style.font.name = "Noto Sans CJK SC"
        style.font.size = Pt(9.5)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
        from docx.oxml.ns import qn

        if fonts is not None:
            fonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
        section = self.out.sections[0]
        footer = section.footer.paragraphs[0]
        footer.alignment = 1
        _field(footer, "PAGE")
        self.out.core_properties.title = doc.title
        self.out.core_properties.author = "zhicheng"

    def chart(self, name: str) -> None:
        from docx.shared import Cm

        spec = self.report.charts.get(name)
        if spec is not None:
            self.out.add_picture(io.BytesIO(chartlib.draw(spec, "png")), width=Cm(15 if spec["type"] != "radar" else 11))

    def table(self, el: Any) -> None:
        rows = [tr for tr in el.iter("tr")]
        if not rows:
            return
        width = max(sum(int(c.get("colspan", "1")) for c in tr if c.tag in ("td", "th")) for tr in rows)
        table = self.out.add_table(rows=0, cols=width)
        table.style = "Table Grid"
        for tr in rows:
            cells = [c for c in tr if c.tag in ("td", "th")]
            row = table.add_row()
            if tr.getparent() is not None and tr.getparent().tag == "thead":
                _set_repeat_header(row)
            j = 0
            for c in cells:
                span = int(c.get("colspan", "1"))
                target = row.cells[j] if span == 1 else row.cells[j].merge(row.cells[j + span - 1])
                target.text = _text(c)
                if c.tag == "th":
                    for run in target.paragraphs[0].runs:
                        run.bold = True
                if "num" in (c.get("class") or ""):
                    target.paragraphs[0].alignment = 2
                j += span

    def walk(self, el: Any) -> None:
        tag, cls = el.tag, el.get("class") or ""
        if tag in ("style", "script", "head", "title", "meta"):
            return
        if tag == "h1":
            self.out.add_heading(_text(el), level=0)
        elif tag == "h2":
            self.out.add_heading(_text(el), level=1)
        elif tag == "h3":
            self.out.add_heading(_text(el), level=2)
        elif tag == "table":
            self.table(el)
        elif tag == "img" and el.get("data-chart"):
            self.chart(el.get("data-chart"))
        elif tag == "nav":
            self.out.add_heading(word("contents", self.report.lang), level=1)
            _field(self.out.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u')
            self.out.add_page_break()
        elif tag in ("p", "pre") or (tag == "div" and cls in ("subtitle", "kpi", "sub")):
            text = _text(el) if tag != "pre" else "".join(el.itertext())
            if text:
                self.out.add_paragraph(text)
        else:
            for child in el:
                self.walk(child)
            if tag == "div" and "cover" in cls:
                self.out.add_page_break()


def docx(doc: Document, *, templates: Path | None = None) -> bytes:
    """The report as a Word document: the same content as the HTML, charts as PNG, a TOC field, page numbers."""
    import lxml.html

    tree = lxml.html.fromstring(html(doc, templates=templates, chart_format="placeholder"))
    writer = _WordWriter(doc)
    body = tree.find("body")
    writer.walk(body if body is not None else tree)
    out = io.BytesIO()
    writer.out.save(out)
    return out.getvalue()


def render(doc: Document, fmt: str, *, templates: Path | None = None) -> bytes:
    """The report in ``fmt`` (pdf, docx or html) as bytes."""
    check(doc.kind, fmt, doc.lang)
    if templates is not None and not templates.is_dir():
        raise ReportError(f"{templates}: not a folder of report templates")
    if fmt == "pdf":
        return pdf(doc, templates=templates)
    if fmt == "docx":
        return docx(doc, templates=templates)
    return html(doc, templates=templates).encode("utf-8")


def write(doc: Document, fmt: str, path: Path, *, templates: Path | None = None) -> Path:
    """Render and write atomically (a partial file is never left under ``path``)."""
    data = render(doc, fmt, templates=templates)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
