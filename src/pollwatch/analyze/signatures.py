"""Signatures of the sending side: which program wrote the message, and whether a web
server did.

Compromised websites are a cheap way to send threats: a PHP script calls
``mail()`` or PHPMailer, the host's MTA (often cPanel's Exim) relays it. That
leaves marks: ``X-PHP-Originating-Script``, ``X-PHP-Script``, cPanel's
``X-Source*``, ``X-Get-Message-Sender-Via`` and ``X-AntiAbuse``, a PHP mailer
in ``X-Mailer``, a first hop that is a local program handing mail to the MTA,
and a ``Message-ID`` generated on the web host rather than the From domain.

:func:`find_signatures` returns them as the ``sender.mailer``,
``sender.script`` and ``sender.web_server_evidence`` values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pollwatch.analyze.headerindex import HeaderIndex
from pollwatch.analyze.hosts import is_public_ip, literal_ip, org_domain
from pollwatch.analyze.record import Zone
from pollwatch.models import ParsedMessage
from pollwatch.parse.received import ChainHop

__all__ = ["Signatures", "find_signatures"]

_WEB_MAILERS = re.compile(
    r"phpmailer|\bphp/?\d|swiftmailer|symfony mailer|zend_mail|laminas|wordpress|drupal|"
    r"joomla|codeigniter|laravel|phpbb|vbulletin|leaf\s*phpmailer|\bpear\b|mail::mailer",
    re.IGNORECASE,
)
_PHP_ORIGINATING = re.compile(r"^\s*(\d+)\s*:\s*(.+?)\s*$")
_PHP_SCRIPT = re.compile(r"^\s*(\S+?)\s+for\s+([0-9a-fA-F:.]+)", re.IGNORECASE)
_PHP_FILENAME = re.compile(r"^\s*(\S+).*?REMOTE_ADDR:\s*([0-9a-fA-F:.]+)", re.IGNORECASE)
_SUBMISSION_REASONS = frozenset(("local-submission", "local"))
_MAX_TEXT = 200


@dataclass(frozen=True)
class Signatures:
    mailer: str | None
    script: str | None
    web_server_evidence: tuple[str, ...]
    script_client_ip: str | None = None  # the web visitor that ran the script, when recorded


def find_signatures(
    parsed: ParsedMessage, index: HeaderIndex, chain: Sequence[ChainHop], zones: Sequence[Zone]
) -> Signatures:
    """The sending program, the script, and the evidence that a web server sent it."""
    evidence: list[str] = []
    mailer = _mailer(index, evidence)
    script, client = _script(index, evidence)
    _cpanel(index, evidence)
    _local_submission(chain, zones, evidence)
    if evidence:
        _message_id_host(parsed, evidence)
    return Signatures(mailer, script, tuple(evidence), client)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _mailer(headers: HeaderIndex, evidence: list[str]) -> str | None:
    for name in ("x-mailer", "user-agent", "x-mailer-version"):
        value = headers.first(name)
        if value and value.strip():
            value = _clip(value)
            if _WEB_MAILERS.search(value):
                evidence.append(f"{name.title()}: {value} (a mail library of web applications)")
            return value
    return None


def _script(headers: HeaderIndex, evidence: list[str]) -> tuple[str | None, str | None]:
    originating = headers.first("x-php-originating-script")
    if originating:
        match = _PHP_ORIGINATING.match(originating)
        script = f"{match.group(2)} (uid {match.group(1)})" if match else _clip(originating)
        evidence.append(f"X-PHP-Originating-Script: {_clip(originating)} (sent by a PHP script)")
        client = _client_from(headers, evidence)
        return _clip(script), client
    client = _client_from(headers, evidence)
    for name, pattern in (("x-php-script", _PHP_SCRIPT), ("x-php-filename", _PHP_FILENAME)):
        value = headers.first(name)
        if value:
            match = pattern.match(value)
            return _clip(match.group(1) if match else value), client
    return None, client


def _client_from(headers: HeaderIndex, evidence: list[str]) -> str | None:
    """X-PHP-Script ``host/path.php for IP`` and X-PHP-Filename ``REMOTE_ADDR: IP``."""
    for name, pattern in (("x-php-script", _PHP_SCRIPT), ("x-php-filename", _PHP_FILENAME)):
        value = headers.first(name)
        if not value:
            continue
        evidence.append(f"{name.title()}: {_clip(value)} (the PHP script that sent it)")
        match = pattern.match(value)
        if match and (ip := literal_ip(match.group(2))) and is_public_ip(ip):
            return ip
    return None


def _cpanel(headers: HeaderIndex, evidence: list[str]) -> None:
    primary = next(
        (v.split("-", 1)[1].strip() for v in headers.all("x-antiabuse")
         if v.lower().startswith("primary hostname") and "-" in v),
        None,
    )  # fmt: skip
    if primary:
        evidence.append(f"X-AntiAbuse: primary hostname {_clip(primary)} (a cPanel/Exim host)")
    via = headers.first("x-get-message-sender-via")
    if via:
        evidence.append(f"X-Get-Message-Sender-Via: {_clip(via)} (cPanel: the local account)")
    for name in ("x-source-dir", "x-source-args", "x-source"):
        value = (headers.first(name) or "").strip()
        if value:
            hint = " (a WordPress uploads folder)" if "wp-content/uploads" in value else ""
            evidence.append(f"{name.title()}: {_clip(value)}{hint}")


def _local_submission(
    chain: Sequence[ChainHop], zones: Sequence[Zone], evidence: list[str]
) -> None:
    """The earliest sending-side hop is a program on the sending host, not a client."""
    for item in chain:
        if zones[item.index] == "recipient":
            return
        hop = item.hop
        if hop.is_local and hop.local_reason in _SUBMISSION_REASONS:
            evidence.append(
                f"hop {item.index}: {hop.by or 'the sending host'} received it from a local "
                f"program ({hop.protocol or hop.local_reason}), not from a mail client"
            )
            return
        if not hop.is_local:
            return


def _message_id_host(parsed: ParsedMessage, evidence: list[str]) -> None:
    if not parsed.message_id or "@" not in parsed.message_id or parsed.from_ is None:
        return
    host = parsed.message_id.rsplit("@", 1)[1].strip("<>[] ").lower()
    domain = parsed.from_.domain
    if host and domain and org_domain(host) != org_domain(domain):
        evidence.append(f"Message-ID generated on {host}, not the From domain {domain}")
