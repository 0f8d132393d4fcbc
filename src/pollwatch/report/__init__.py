"""The campaign report: one self-contained HTML page, or the same as PDF.

``render_html(cases)`` returns the page; ``write_report(cases, out)`` writes
``.html``/``.htm`` or ``.pdf`` by the suffix of ``out``. See ``docs/report.md``.
"""

from __future__ import annotations

from pollwatch.report.render import render_html, render_pdf, write_report

__all__ = ["render_html", "render_pdf", "write_report"]
