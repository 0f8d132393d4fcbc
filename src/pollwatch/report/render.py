"""Render the report: one self-contained HTML page, and the same page as PDF.

The page loads nothing: its stylesheet is inline, its charts are ``data:``
URIs and its Content-Security-Policy forbids everything else. Jinja2 escapes
every value (autoescape is always on) and the template holds no script.
WeasyPrint renders the PDF with a URL fetcher that accepts ``data:`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.report.build import build_report

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})


def render_html(cases: Sequence[Case], *, title: str | None = None) -> str:
    """The report on ``cases`` as one HTML document (a ``str``)."""
    report = build_report(cases, title)
    return _template().render(report=report, csp=CSP, css=_css())


def render_pdf(html: str) -> bytes:
    """The report page as PDF; refuses every resource that is not inline ``data:``."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # slow to import: on demand
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    fetcher = URLFetcher(allowed_protocols=("data",))
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf


def write_report(cases: Sequence[Case], out: Path, *, title: str | None = None) -> Path:
    """Write the report as HTML or PDF, chosen by the suffix of ``out``; return ``out``."""
    suffix = out.suffix.lower()
    if suffix not in HTML_SUFFIXES | PDF_SUFFIXES:
        raise UsageError(f"{out}: the report is written as .html, .htm or .pdf, not {suffix!r}")
    html = render_html(cases, title=title)
    if suffix in PDF_SUFFIXES:
        out.write_bytes(render_pdf(html))
    else:
        out.write_text(html, encoding="utf-8")
    return out


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pollwatch.report", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["num"] = lambda value: f"{value:,}"
    return environment.get_template("report.html.j2")


@cache
def _css() -> Markup:
    css = resources.files("pollwatch.report").joinpath("templates/report.css").read_text("utf-8")
    if "</" in css:  # it is our own file; this only guards the <style> element's end
        raise ValueError("report.css must not contain '</'")
    return Markup(css)
