"""The PDF report: written by WeasyPrint, paginated, with nothing fetched."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from pollwatch.report import render_pdf, write_report
from support.cases import make_case


def page_count(pdf: bytes) -> int:
    """Pages in a PDF's page tree, reading compressed object streams too."""
    texts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            texts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    for text in texts:
        found = re.search(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", text)
        if found:
            return int(found.group(1))
    raise AssertionError("no page tree found")


def test_pdf_report_is_written_and_paginated(tmp_path: Path) -> None:
    out = write_report([make_case()], tmp_path / "report.pdf")
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) > 1
    assert len(pdf) > 20_000  # the charts and tables are in it


def test_pdf_rendering_fetches_nothing(caplog: pytest.LogCaptureFixture) -> None:
    html = '<p>x</p><img src="http://127.0.0.1:9/pixel.png"><img src="file:///etc/hostname">'
    with caplog.at_level("WARNING"):
        pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF-")
    refused = [r.getMessage() for r in caplog.records if "disallowed protocol" in r.getMessage()]
    assert len(refused) == 2
