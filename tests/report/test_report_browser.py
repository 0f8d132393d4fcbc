"""The HTML report in headless Chromium, network off: no request leaves, no error, a sane first screen.

Uses Debian's ``chromium`` driven by Playwright (never a downloaded browser). Without
it the tests skip, unless ``POLLWATCH_REQUIRE_BROWSER=1`` (CI), where they fail.
``POLLWATCH_REGEN_GOLDEN=1`` rewrites ``docs/report-first-screen.png``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pollwatch.report import write_report
from support.cases import make_case

GOLDEN = Path(__file__).resolve().parents[2] / "docs" / "report-first-screen.png"
VIEWPORT = {"width": 1280, "height": 800}
ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HOSTILE = '<script>alert(1)</script><img src="https://evil.example/x.png" onerror="alert(2)">'


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    reason = ""
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("POLLWATCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"POLLWATCH_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    assert path is not None
    return str(Path(path).resolve())


@dataclass
class Visit:
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    images: list[int] = field(default_factory=list)
    title: str = ""
    headings: list[str] = field(default_factory=list)
    screenshot: bytes = b""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        launched.close()


def visit(browser: Any, report: Path) -> Visit:
    """Open ``report`` offline; every other request is aborted and counted as failed."""
    seen = Visit()
    context = browser.new_context(viewport=VIEWPORT, offline=True)
    page = context.new_page()
    own = report.as_uri()

    def route(request_route: Any) -> None:
        if request_route.request.url == own:
            request_route.continue_()
        else:
            seen.failed.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda request: seen.failed.append(request.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(own, wait_until="load")
    seen.title = page.title()
    seen.headings = page.locator("h2").all_inner_texts()
    seen.images = page.locator("img").evaluate_all("images => images.map(i => i.naturalWidth)")
    seen.screenshot = page.screenshot(full_page=False)
    context.close()
    return seen


def distinct_colours(png: bytes) -> tuple[tuple[int, int], int]:
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(png)) as image:
        rgb = image.convert("RGB")
        return rgb.size, len(rgb.getcolors(maxcolors=1 << 24) or ())


def test_report_renders_offline_without_errors(browser: Any, tmp_path: Path) -> None:
    report = write_report([make_case()], tmp_path / "report.html")
    seen = visit(browser, report)
    assert seen.failed == []
    assert seen.errors == []
    assert seen.title == "Threatening e-mail to voters: campaign report"
    assert len(seen.images) == 2 and all(width > 0 for width in seen.images)  # charts decoded
    size, colours = distinct_colours(seen.screenshot)
    assert size == (VIEWPORT["width"], VIEWPORT["height"])
    assert colours > 50  # text, cover, cards: not a blank page
    if os.environ.get("POLLWATCH_REGEN_GOLDEN") == "1":
        GOLDEN.write_bytes(seen.screenshot)
    assert GOLDEN.exists(), "run with POLLWATCH_REGEN_GOLDEN=1 to create the kept screenshot"
    assert distinct_colours(GOLDEN.read_bytes())[0] == size


def test_hostile_report_runs_nothing_and_fetches_nothing(browser: Any, tmp_path: Path) -> None:
    case = make_case()
    first = case.sample[0]
    assert first.message.from_ is not None
    message = msgspec.structs.replace(
        first.message,
        subject=HOSTILE,
        from_=msgspec.structs.replace(first.message.from_, display=HOSTILE),
    )
    hostile = msgspec.structs.replace(
        case,
        campaign=msgspec.structs.replace(case.campaign, label=HOSTILE),
        sample=(msgspec.structs.replace(first, message=message), *case.sample[1:]),
    )
    seen = visit(browser, write_report([hostile], tmp_path / "hostile.html"))
    assert seen.failed == []
    assert seen.errors == []
    assert seen.dialogs == []
    assert f"Campaign 1: {HOSTILE}" in seen.headings  # shown as text, not run
