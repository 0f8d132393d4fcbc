"""The HTML report: every section, nothing remote, hostile text escaped, charts embedded."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import msgspec
import pytest

from pollwatch.analyze.record import Analysis, Evidence
from pollwatch.cluster.record import Indicator
from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.report import render_html, write_report
from pollwatch.report.charts import campaign_charts
from support.cases import make_case

HOSTILE = '<script>alert("x")</script><img src="https://evil.example/p.png" onerror="alert(1)">'

SECTIONS = (
    "Executive summary",
    "What the messages do",
    "Whom they impersonate",
    "Where they came from",
    "What to do",
    "What to tell voters",
    "Recipients",
    "By provider or organisation",
    "By state",
    "Waves",
    "Origin countries and networks",
    "Delivery path of the representative message",
    "Authentication",
    "Impersonation",
    "Claims and threats, with rebuttals",
    "Recovered template",
    "Indicators",
)


class Page(HTMLParser):
    """Tags, attributes and text of a page, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[str] = []
        self.styles: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open in {"h2", "h3", "h4"}:
            self.headings.append(data.strip())
        elif self._open == "style":
            self.styles.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def case() -> Case:
    return make_case()


@pytest.fixture(scope="module")
def html(case: Case) -> str:
    return render_html([case])


def hostile_case(case: Case) -> Case:
    """The fixture with attacker-controlled text in every field the report shows."""
    first = case.sample[0]
    assert first.message.from_ is not None
    message = msgspec.structs.replace(
        first.message,
        subject=HOSTILE,
        from_=msgspec.structs.replace(first.message.from_, display=HOSTILE),
    )
    hops = tuple(msgspec.structs.replace(h, by=HOSTILE, from_helo=HOSTILE) for h in first.path.hops)
    findings = tuple(
        msgspec.structs.replace(
            f, title=HOSTILE, evidence=(Evidence("body", 0, len(HOSTILE), HOSTILE),)
        )
        for f in first.findings
    )
    analysis: Analysis = msgspec.structs.replace(
        first,
        message=message,
        path=msgspec.structs.replace(first.path, hops=hops),
        findings=findings,
    )
    campaign = msgspec.structs.replace(
        case.campaign,
        label=HOSTILE,
        template=msgspec.structs.replace(case.campaign.template, body=HOSTILE + " {name}"),
        senders={HOSTILE: 1},
        edge_asns={HOSTILE: 3},
        indicators=(Indicator(type="url", value="https://evil.example/x", count=1, role="url"),),
    )
    return msgspec.structs.replace(case, campaign=campaign, sample=(analysis, *case.sample[1:]))


def test_report_has_every_section_for_the_fixture(html: str) -> None:
    headings = parse(html).headings
    for section in SECTIONS:
        assert section in headings, section


def test_report_tells_the_fixture_facts(case: Case, html: str) -> None:
    assert "23 messages reached 23 recipients" in html
    assert "Estonia (EE)" in html and "Saudi Arabia (SA)" in html
    assert "AS3249 Telia Eesti AS" in html
    assert "Proud Boys" in html
    assert "Your ballot is secret." in html  # a rebuttal, from the taxonomy
    assert "gatorstate.edu" in html and ">FL<" in html
    assert '<span class="badge edge">edge</span>' in html
    for indicator in case.campaign.indicators:
        assert indicator.value in html


def test_report_highlights_evidence_spans(case: Case, html: str) -> None:
    spans = {e.text for f in case.sample[0].findings for e in f.evidence if e.field == "body"}
    marked = set(re.findall(r"<mark>(.*?)</mark>", html))
    assert spans
    assert any(span in text for span in spans for text in marked)


def test_report_draws_the_template_slots(case: Case, html: str) -> None:
    for slot in case.campaign.template.slots:
        assert f'<span class="slot">{{{slot.name}}}</span>' in html
    assert "different in every message" in html
    assert "withheld: personal data" in html  # names and addresses are never printed


def test_report_withholds_recipient_mailboxes(case: Case, html: str) -> None:
    mailboxes = {to.address for a in case.sample for to in a.message.to}
    assert mailboxes
    assert not [m for m in mailboxes if m in html]


def test_report_makes_no_remote_reference(html: str) -> None:
    page = parse(html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])
        assert not re.search(r"url\s*\(", attrs.get("style") or "")
    assert not [s for s in page.styles if re.search(r"url\s*\(|@import", s)]
    assert not [tag for tag, _ in page.tags if tag in {"script", "link", "iframe", "object"}]


def test_report_declares_a_strict_content_security_policy(html: str) -> None:
    metas = [a for t, a in parse(html).tags if t == "meta" and a.get("http-equiv")]
    assert len(metas) == 1
    policy = metas[0]["content"] or ""
    assert metas[0]["http-equiv"] == "Content-Security-Policy"
    assert "default-src 'none'" in policy
    assert "img-src data:" in policy
    assert "http" not in policy and "*" not in policy


def test_report_escapes_hostile_message_text(case: Case) -> None:
    html = render_html([hostile_case(case)])
    page = parse(html)
    assert "<script" not in html.lower()
    assert not [t for t, _ in page.tags if t == "script"]
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    assert "https://evil.example/p.png" not in [a.get("src") for _, a in page.tags]
    assert html.count("&lt;script&gt;") >= 6  # label, subject, display name, hop, claim, template
    assert "hxxps://evil[.]example/x" in html  # URL indicators are defanged


def test_report_embeds_its_charts(html: str) -> None:
    images = [a["src"] for t, a in parse(html).tags if t == "img" and a.get("src")]
    assert len(images) == 2  # waves timeline; origin countries and networks
    for uri in images:
        assert uri is not None and uri.startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(uri.split(",", 1)[1])
        assert b"<svg" in svg
        assert b"<script" not in svg and b"<dc:date>" not in svg


def test_report_and_its_charts_are_deterministic(case: Case, html: str) -> None:
    again = render_html([case])
    assert [c.uri for c in campaign_charts(case.campaign)] == re.findall(
        r'<img src="(data:[^"]+)"', again
    )
    assert again == html


def test_report_covers_several_campaigns(case: Case) -> None:
    second = msgspec.structs.replace(
        case, campaign=msgspec.structs.replace(case.campaign, campaign_id="C-test0002")
    )
    html = render_html([case, second], title="Two campaigns")
    assert "<title>Two campaigns</title>" in html
    assert 'id="campaign-1"' in html and 'id="campaign-2"' in html
    assert "46 messages reached 46 recipients" in html


def test_report_without_analysed_members_still_renders(case: Case) -> None:
    html = render_html([msgspec.structs.replace(case, sample=())])
    assert "No analysed message is available for this campaign." in html


def test_report_needs_a_campaign() -> None:
    with pytest.raises(UsageError):
        render_html([])


def test_write_report_chooses_html_by_suffix(case: Case, tmp_path: Path) -> None:
    out = write_report([case], tmp_path / "report.HTM")
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_write_report_refuses_an_unknown_suffix(case: Case, tmp_path: Path) -> None:
    for name in ("report.docx", "report"):
        with pytest.raises(UsageError):
            write_report([case], tmp_path / name)
        assert not (tmp_path / name).exists()
