"""Agreement of pollwatch's trusted recorded verdicts with Microsoft's, on phishing_pot.

    python scripts/auth_agreement.py [CORPUS_DIR] [--limit N] [--show N]

CORPUS_DIR is an unpacked ``phishing_pot-dev.tar.xz`` (default
``/tmp/corp/phishing_pot/email``, else ``../shared/corpora`` is unpacked to a
temporary folder).

What is compared, and what is not: phishing_pot messages are years old and
this machine has no live DNS, so pollwatch cannot re-verify them now (keys are
rotated, records changed). The comparison is between

* Microsoft's recorded spf/dkim/dmarc: the ``Authentication-Results`` header
  without an authserv-id whose SPF comment says ``(sender IP is X)`` — the
  header Microsoft's edge writes — found here by a plain scan, and
* pollwatch's *trusted recorded verdict* per method
  (:func:`pollwatch.analyze.auth.recorded_verdict`): the header parse plus the
  trust decision made from the delivery path (edge and recipient zone).

Independent re-verification is shown against a loopback DNS server
(``tests/integration``) and the conformance suites (``tests/conformance``).

The delivery path comes from ``pollwatch.analyze.path`` (``--path path``, the
default) or from :func:`interim_path` below (``--path interim``), a
deliberately simple rule kept for comparison (recipient zone = hops whose
``by`` host is the top hop's organisation, edge = the first hop from the top
received from outside it).
"""

from __future__ import annotations

import argparse
import collections
import functools
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pollwatch.analyze.auth import analyze_auth, recorded_verdict
from pollwatch.analyze.auth_headers import parse_authentication_results
from pollwatch.analyze.dns import DnsSource, organisational_domain
from pollwatch.analyze.record import Edge, Hop, PathSection
from pollwatch.models import ParsedMessage
from pollwatch.parse import parse_message
from pollwatch.parse.received import ReceivedHop, parse_received_chain

if TYPE_CHECKING:
    from pollwatch.analyze.context import AnalysisContext

METHODS = ("spf", "dkim", "dmarc")
MICROSOFT = frozenset(
    {"outlook.com", "office365.com", "microsoft.com", "hotmail.com", "exchangelabs.com"}
)
OTHER_TENANT = ".outbound.protection.outlook.com"  # another Microsoft tenant sending out
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "phishing_pot-dev.tar.xz"


def _org(host: str | None) -> str | None:
    return organisational_domain(host) if host and "." in host else None


def _recipient_orgs(top: ReceivedHop) -> set[str]:
    org = _org(top.by)
    if org is None:
        return set()
    return set(MICROSOFT) if org in MICROSOFT else {org}


def _inside(hop: ReceivedHop, orgs: set[str]) -> bool:
    names = [n.lower() for n in (hop.from_rdns, hop.from_helo) if n]
    if any(n.endswith(OTHER_TENANT) for n in names):
        return False
    # a bare organisational name ("hotmail.com") is what forgers put in HELO
    return hop.is_local or any(_org(n) in orgs and _org(n) != n for n in names)


def interim_path(parsed: ParsedMessage) -> PathSection:
    """A stand-in for ``pollwatch.analyze.path``: recipient zone and edge only."""
    chain = parse_received_chain(parsed.received)
    if not chain:
        return PathSection()
    orgs = _recipient_orgs(chain[-1].hop)
    edge_index: int | None = None
    for link in reversed(chain):  # from the recipient end
        if _org(link.hop.by) not in orgs:
            break
        if not _inside(link.hop, orgs) and link.hop.from_ip:
            edge_index = link.index
            break
    hops = tuple(
        Hop(
            index=c.index,
            from_helo=c.hop.from_helo,
            from_rdns=c.hop.from_rdns,
            from_ip=c.hop.from_ip,
            by=c.hop.by,
            protocol=c.hop.protocol,
            id=c.hop.id,
            timestamp=c.hop.timestamp,
            delay_s=c.delay_s,
            zone="recipient" if edge_index is not None and c.index >= edge_index else "internet",
            country=None,
            asn=None,
            as_org=None,
            raw=c.hop.raw,
        )
        for c in chain
    )
    edge = None
    if edge_index is not None:
        h = chain[edge_index].hop
        edge = Edge(
            ip=h.from_ip or "",
            country=None,
            asn=None,
            as_org=None,
            rdns=h.from_rdns,
            helo=h.from_helo,
            hop_index=edge_index,
        )
    return PathSection(hops=hops, edge=edge)


def microsoft_recorded(parsed: ParsedMessage) -> dict[str, str] | None:
    """Microsoft's edge verdicts: the lowest A-R without authserv-id naming the sender IP."""
    found: dict[str, str] | None = None
    for header in parsed.headers:
        if header.name.lower() != "authentication-results":
            continue
        parsed_header = parse_authentication_results(header.value)
        spf = [r for r in parsed_header.results if r.method == "spf"]
        if parsed_header.authserv_id is None and spf and "sender ip is" in spf[0].comment.lower():
            found = {}
            for res in parsed_header.results:
                found.setdefault(res.method, res.result)
    return found


def real_path(parsed: ParsedMessage) -> PathSection:
    """The delivery path from ``pollwatch.analyze.path`` (default settings, no geo)."""
    from pollwatch.analyze.path import analyze_path

    return analyze_path(parsed, _context()).path


@functools.cache
def _context() -> AnalysisContext:
    from pollwatch.analyze.context import AnalysisContext

    return AnalysisContext()


PATHS = {"path": real_path, "interim": interim_path}


def compare(raw: bytes, which: str = "path") -> tuple[str, list[str]]:
    """('skip'|'agree'|'disagree', causes) for one message."""
    parsed = parse_message(raw)
    truth = microsoft_recorded(parsed)
    if truth is None:
        return "skip", ["no Microsoft edge Authentication-Results"]
    path = PATHS[which](parsed)
    section = analyze_auth(parsed, path, DnsSource.offline(), raw=raw)
    causes: list[str] = []
    for method in METHODS:
        if method not in truth:
            continue
        verdict = recorded_verdict(section, method)  # type: ignore[arg-type]
        if verdict is None:
            reasons = {r.trust_reason for r in getattr(section, method) if r.source == "header"}
            causes.append(f"{method}: no trusted verdict ({'; '.join(sorted(map(str, reasons)))})")
        elif verdict.result != truth[method]:
            causes.append(
                f"{method}: trusted {verdict.header}@{verdict.position} says {verdict.result}, "
                f"Microsoft {truth[method]}"
            )
    return ("disagree" if causes else "agree"), causes


def _corpus(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    default = Path("/tmp/corp/phishing_pot/email")
    if default.is_dir():
        return default
    if not SHARED.exists():
        sys.exit(f"no corpus: pass CORPUS_DIR or provide {SHARED}")
    out = Path(tempfile.mkdtemp(prefix="phishing_pot-"))
    subprocess.run(["tar", "-xJf", str(SHARED), "-C", str(out)], check=True)
    return next(out.rglob("email"))


def _cause_key(cause: str) -> str:
    method, _, rest = cause.partition(": ")
    if rest.startswith("no trusted verdict"):
        return f"{method}: no trusted verdict"
    return f"{method}: trusted verdict differs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", type=int, default=3, help="examples printed per cause")
    ap.add_argument(
        "--path",
        choices=sorted(PATHS),
        default="path",
        help="delivery path: pollwatch.analyze.path, or the interim rule here",
    )
    args = ap.parse_args()
    files = sorted(_corpus(args.corpus).glob("*.eml"))
    if args.limit:
        files = files[: args.limit]
    outcome: collections.Counter[str] = collections.Counter()
    by_cause: dict[str, list[str]] = collections.defaultdict(list)
    for file in files:
        try:
            verdict, causes = compare(file.read_bytes(), args.path)
        except Exception as exc:  # a script: report and go on
            verdict, causes = "error", [f"{type(exc).__name__}: {exc}"]
        outcome[verdict] += 1
        for cause in causes:
            by_cause[_cause_key(cause) if verdict != "error" else "error"].append(
                f"{file.name}: {cause}"
            )
    compared = outcome["agree"] + outcome["disagree"]
    rate = outcome["agree"] / compared if compared else 0.0
    print("pollwatch trusted recorded verdicts vs Microsoft's recorded spf/dkim/dmarc")
    print("(header parse + trust decision; no DNS re-verification: messages are old, no live DNS)")
    print(f"delivery path from: {args.path}")
    print(
        f"messages {len(files)}; compared {compared}; skipped {outcome['skip']} "
        f"(no Microsoft edge header); errors {outcome['error']}"
    )
    print(f"agreement {outcome['agree']}/{compared} = {rate:.2%}")
    for key, items in sorted(by_cause.items(), key=lambda kv: -len(kv[1])):
        if key.startswith("no Microsoft"):
            continue
        print(f"\n{key}: {len(items)}")
        for line in items[: args.show]:
            print(f"  {line[:300]}")


if __name__ == "__main__":
    main()
