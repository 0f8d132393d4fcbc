"""What a message claims and threatens: rule findings over its content.

::

    rules = load_rules()                                   # once
    result = analyze_content(parsed, rules, sender=sender_section)
    result.findings      # Finding(rule, category, severity, title, evidence, rebuttal)
    result.categories    # sorted union of finding categories
    result.language      # "en", "es", ... or None
    result.errors        # e.g. the message's language has no content rules

Evidence offsets are character offsets into the named field's text as the
parsed message holds it (``body`` is ``ParsedMessage.body_text``).
"""

from __future__ import annotations

import msgspec

from pollwatch.analyze.language import SAMPLE_CHARS, detect_language
from pollwatch.analyze.record import AuthSection, Finding, PathSection, SenderSection
from pollwatch.models import ParsedMessage
from pollwatch.rules.engine import RuleSet
from pollwatch.rules.fields import Subject


class ContentResult(msgspec.Struct, frozen=True):
    findings: tuple[Finding, ...] = ()
    categories: tuple[str, ...] = ()
    language: str | None = None
    errors: tuple[str, ...] = ()


def _language_error(language: str | None, rules: RuleSet) -> tuple[str, ...]:
    covered = rules.languages
    if language is None or not covered or language in covered:
        return ()
    return (
        f"content.language_unsupported: the message is in '{language}' and the content rules "
        f"cover only {', '.join(sorted(covered))}; its wording was not analysed, so an absence "
        "of findings means nothing",
    )


def analyze_content(
    parsed: ParsedMessage,
    rules: RuleSet,
    *,
    path: PathSection | None = None,
    auth: AuthSection | None = None,
    sender: SenderSection | None = None,
) -> ContentResult:
    """Evaluate ``rules`` over one message and the earlier analysis sections."""
    guess = detect_language(f"{parsed.subject}\n{parsed.body_text[:SAMPLE_CHARS]}")  # all it reads
    subject = Subject(parsed, path=path, auth=auth, sender=sender, language=guess.code)
    findings = rules.findings(subject)
    categories = tuple(sorted({f.category for f in findings}))
    return ContentResult(findings, categories, guess.code, _language_error(guess.code, rules))
