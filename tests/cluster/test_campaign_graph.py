"""The campaign graph: order-independent, guarded against giant components, incremental."""

from __future__ import annotations

import sqlite3
from array import array
from collections import defaultdict
from functools import cache
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pollwatch.cluster.features import MessageFeatures, similarity
from pollwatch.cluster.graph import CampaignGraph, TemplateCache
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.intake.unwrap import peel_reports
from pollwatch.models import SourceRef
from pollwatch.pipeline.job import AnalysisSpec, analyse_for_store
from pollwatch.store import Catalogue
from pollwatch.store.schema import MIGRATIONS
from pollwatch.synth import Label, SynthConfig, generate
from support.messages import simple_message

SPEC = AnalysisSpec()


def features_of(raw: bytes) -> MessageFeatures:
    peeled = peel_reports(raw, DEFAULT_LIMITS)
    assert peeled.parsed is not None
    stored = analyse_for_store(peeled.parsed, peeled.raw, peeled.forward,
                               SourceRef("t.eml", "eml"), SPEC)  # fmt: skip
    assert stored.features is not None
    return stored.features


@cache
def sample() -> tuple[tuple[Label, MessageFeatures], ...]:
    return tuple((m.label, features_of(m.raw)) for m in generate(SynthConfig(count=140, seed=11)))


def graph_db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("CREATE TABLE messages (sha256 TEXT PRIMARY KEY)")
    db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY)")
    for _, script in MIGRATIONS[1:]:
        for statement in script.split(";"):
            if statement.strip() and "ALTER TABLE runs" not in statement:
                db.execute(statement)
    return db


def place(features: list[MessageFeatures], run: int = 1, db: sqlite3.Connection | None = None
          ) -> tuple[sqlite3.Connection, dict[str, str]]:  # fmt: skip
    db = db or graph_db()
    graph = CampaignGraph(db, run)
    for f in features:
        graph.add(f)
    rows = db.execute("SELECT f.sha256, t.campaign FROM features f JOIN templates t USING (fingerprint)")
    return db, dict(rows)


def partition(assignment: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for sha, campaign in assignment.items():
        groups[campaign].add(sha)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=8, deadline=None)
@given(st.randoms(use_true_random=False))
def test_same_messages_in_any_order_give_the_same_campaigns(rnd) -> None:
    features = [f for _, f in sample()]
    _, reference = place(features)
    shuffled = features[:]
    rnd.shuffle(shuffled)
    _, other = place(shuffled)
    assert other == reference  # same partition and, within one run, the same ids


def test_labelled_campaigns_are_found_whole_and_apart() -> None:
    rows = sample()
    _, assignment = place([f for _, f in rows])
    by_label: dict[str, set[str]] = defaultdict(set)
    for label, f in rows:
        if label.campaign:
            by_label[label.campaign].add(assignment[f.sha256])
    assert by_label and all(len(ids) == 1 for ids in by_label.values()), by_label
    assert len({next(iter(ids)) for ids in by_label.values()}) == len(by_label)


def test_later_reports_join_existing_campaigns_and_ids_stay() -> None:
    features = [f for _, f in sample()]
    half = len(features) // 2
    db, first = place(features[:half], run=1)
    _, both = place(features[half:], run=2, db=db)
    _, at_once = place(features)
    assert partition(both) == partition(at_once)
    for sha, campaign in first.items():
        current = both[sha]
        if current != campaign:  # merged: the old id is kept as an alias of the survivor
            row = db.execute("SELECT merged_into FROM campaigns WHERE id = ?", (campaign,))
            assert row.fetchone()[0] == current


UNRELATED = (
    "The tomatoes in the community garden survived the spring frost; bring stakes on Sunday.",
    "Quarterly budget figures are in the shared spreadsheet, please review column F by Monday.",
    "Maya turns seven on Saturday afternoon, cake and games at the park pavilion from two.",
    "The dishwasher warranty claim was approved and a technician visits Thursday morning.",
    "Chess club tournament results: Priya won all four rounds, Tom finished second overall.",
    "New trail maps for the northern valley are printed; the ridge loop is eleven miles long.",
)


def _unrelated(i: int) -> bytes:
    body = UNRELATED[i % len(UNRELATED)] + "\n"
    topics = ("garden", "budget", "party", "warranty", "chess", "trails")
    return simple_message(
        subject=f"note {topics[i % len(topics)]}",
        sender=f'"Person {i}" <person{i}.writer@gmail.com>',
        to=f"friend{i}@example.net",
        body=body,
        received=("from mail-wr1-f41.google.com (mail-wr1-f41.google.com [209.85.221.41]) "
                  "by mx.example.net (Postfix) with ESMTPS id 4AB for <x@example.net>; "
                  "Tue, 20 Oct 2020 14:02:11 +0000",),
        message_id=f"<CAF{i}x@mail.gmail.com>",
    )


def test_shared_network_and_provider_alone_never_join_unrelated_mail() -> None:
    features = [features_of(_unrelated(i)) for i in range(6)]
    assert all(f.edge_asn == features[0].edge_asn for f in features)
    _, assignment = place(features)
    assert len(set(assignment.values())) == len(features)


def test_one_sender_with_unrelated_content_is_not_one_campaign() -> None:
    first = features_of(_unrelated(0))
    second = features_of(_unrelated(3).replace(b"person3.writer", b"person0.writer"))
    assert "from:person0.writer@gmail.com" in second.keys
    _, assignment = place([first, second])
    assert assignment[first.sha256] != assignment[second.sha256]


def test_personalised_copies_of_one_threat_are_one_campaign() -> None:
    names = [("Alex Rivera", "alex.rivera"), ("Jordan Mills", "jordan.mills"),
             ("Casey Brooks", "casey.brooks")]
    features = [features_of(simple_message(
        to=f'"{name}" <{box}@example.net>',
        sender=f'"Group" <sender{i}@threat-example.org>',
        body=f"Dear {name},\n\nWe are in possession of all your information. You will vote "
             "for our candidate or we will come after you. We know where you live and we "
             f"will be watching your polling place on election day. Reference {1000 + i}.\n",
    )) for i, (name, box) in enumerate(names)]  # fmt: skip
    texts = {key for f in features for key in f.keys if key.startswith("text:")}
    assert len(texts) == 1  # the name and number are masked: one text ...
    assert len({f.fingerprint for f in features}) == 3  # ... under three sender addresses
    _, assignment = place(features)
    assert len(set(assignment.values())) == 1


def test_ingest_places_messages_and_campaigns_command_reads_them(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pollwatch.cli import _register_commands, app

    box = tmp_path / "s.mbox"
    from pollwatch.synth import write_mbox

    write_mbox(generate(SynthConfig(count=80, seed=3)), box, tmp_path / "labels.jsonl")
    db = tmp_path / "p.db"
    _register_commands()
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(box), "--db", str(db)]).exit_code == 0
    listed = runner.invoke(app, ["campaigns", "list", "--db", str(db), "--format", "jsonl"])
    assert listed.exit_code == 0, listed.output
    records = [msgspec.json.decode(line) for line in listed.output.splitlines()]
    assert records and all(r["size"] >= 2 for r in records)
    biggest = records[0]
    assert sum(w["size"] for w in biggest["waves"]) == biggest["size"]
    shown = runner.invoke(app, ["campaigns", "show", biggest["campaign_id"], "--db", str(db),
                                "--format", "json"])  # fmt: skip
    assert msgspec.json.decode(shown.output)["members"] == biggest["members"]
    with Catalogue(db) as catalogue:
        assert catalogue.analysis(biggest["members"][0]) is not None
    missing = runner.invoke(app, ["campaigns", "show", "C-nope", "--db", str(db)])
    assert "no campaign 'C-nope'" in str(missing.exception)


THREAT = ("Dear {name}, we are in possession of all your information including {home}. You will "
          "vote for our candidate on election day or we will come after you. {extra} Change your "
          "party registration this week to let us know you received our message.")  # fmt: skip


def _threat(i: int, sender: str, extra: str) -> bytes:
    return simple_message(
        to=f'"Voter {i}" <voter{i}@example.net>', sender=sender, subject="Vote or else",
        body=THREAT.format(name=f"Voter {i}", home=f"{100 + i} Main Street", extra=extra) + "\n",
    )  # fmt: skip


def test_near_duplicate_threats_from_different_senders_stay_apart() -> None:
    first = [features_of(_threat(i, '"Group A" <info@group-a.example>', "We are watching."))
             for i in range(3)]  # fmt: skip
    second = [features_of(_threat(i + 3, '"Group A" <command@group-b.example>',
                                  "Our members are watching.")) for i in range(3)]  # fmt: skip
    for order in (first + second, second + first, [*second[:1], *first, *second[1:]]):
        _, assignment = place(order)
        assert len({assignment[f.sha256] for f in first}) == 1
        assert len({assignment[f.sha256] for f in second}) == 1
        assert assignment[first[0].sha256] != assignment[second[0].sha256]


POOL = (
    ("Your computer was infected with my malware months ago and I have all your contacts.",
     "We have copied your voter file record and your browsing history from your own device."),
    ("Transfer the payment in Bitcoin to the wallet below within two days of this message.",
     "Send the money in Bitcoin to this address before the deadline written in this letter."),
    ("If I do not receive the payment, everything goes to your contacts, employer and party.",
     "After the payment arrives I will delete everything, otherwise it will all be published."),
)


def _extortion(i: int, choice: tuple[int, int, int], sender: str | None = None) -> bytes:
    box = f"victim{i}@example.net"
    body = " ".join(POOL[slot][pick] for slot, pick in enumerate(choice))
    return simple_message(to=box, sender=sender or box, subject=f"Security alert {i}",
                          body=f"Hello! {body} bc1qexamplewallet{i:02d}xyz\n")  # fmt: skip


def test_waves_written_from_one_sentence_pool_join_but_not_across_senders() -> None:
    waves = [features_of(_extortion(i, choice))
             for i, choice in enumerate([(0, 0, 0), (1, 0, 1), (1, 1, 0)])]  # fmt: skip
    assert all("from:{self}" in f.keys and any(k.startswith("phrase:") for k in f.keys)
               for f in waves)  # fmt: skip
    other = features_of(_extortion(9, (0, 1, 1), sender="no-reply@notice.example"))
    for order in ([*waves, other], [other, *reversed(waves)]):
        db, assignment = place(order)
        assert len({assignment[f.sha256] for f in waves}) == 1
        assert assignment[other.sha256] != assignment[waves[0].sha256]
        kinds = {row[0] for row in db.execute("SELECT kind FROM template_links")}
        assert "phrase" in kinds


def test_addresses_of_one_organisation_join_but_mailbox_users_do_not() -> None:
    org = [features_of(_threat(i, f'"Group A" <{box}@group-a.example.org>', extra))
           for i, (box, extra) in enumerate((("info", "We are watching."),
                                             ("command", "Our members are watching.")))]  # fmt: skip
    assert all("org:example.org" in f.keys for f in org)  # the registrable domain
    _, assignment = place(org)
    assert assignment[org[0].sha256] == assignment[org[1].sha256]
    users = [features_of(_threat(i, f'"Group A" <{box}@gmail.com>', "We are watching."))
             for i, box in enumerate(("first.user", "second.user"))]  # fmt: skip
    assert not any(k.startswith("org:") for f in users for k in f.keys)
    users[1] = features_of(_threat(7, '"Group A" <second.user@gmail.com>', "Our people watch."))
    _, assignment = place(users)
    assert assignment[users[0].sha256] != assignment[users[1].sha256]


def test_mailer_script_and_html_skeleton_are_infrastructure_keys() -> None:
    table = "".join(f"<tr><td>{i}</td><td>cell</td></tr>" for i in range(8))
    raw = b"X-Mailer: PHPMailer 6.1.5\r\nX-PHP-Originating-Script: 1003:mailer.php\r\n" + (
        simple_message(sender="g@group-a.example.org", subject="Vote or else",
                       body=THREAT.format(name="Voter 1", home="1 Main Street", extra="") + "\n",
                       html=f"<html><body><table>{table}</table></body></html>")
    )  # fmt: skip
    keys = features_of(raw).keys
    kinds = {key.split(":", 1)[0] for key in keys}
    assert {"mailer", "script", "html"} <= kinds, keys


def test_a_shared_asn_supports_a_near_duplicate_but_never_links_alone() -> None:
    base = sample()[0][1]
    values = array("I", base.shingles)
    near = array("I", (v ^ 0x5A5A5A5A if i >= 46 else v for i, v in enumerate(values)))
    far = array("I", (v ^ 0x5A5A5A5A for v in values))
    assert 0.65 <= similarity(base.shingles, near.tobytes()) < 0.8  # not near-duplicate alone
    assert similarity(base.shingles, far.tobytes()) < 0.1

    def variant(n: int, shingles: bytes, asn: int) -> MessageFeatures:
        return msgspec.structs.replace(base, sha256=f"{n:064x}", fingerprint=n, keys=(f"asn:{asn}",),
                                       shingles=shingles, categories=())  # fmt: skip

    def campaigns(*features: MessageFeatures) -> int:
        return len(set(place(list(features))[1].values()))

    assert campaigns(variant(1, base.shingles, 64500), variant(2, near.tobytes(), 64500)) == 1
    assert campaigns(variant(1, base.shingles, 64500), variant(2, near.tobytes(), 64501)) == 2
    assert campaigns(variant(1, base.shingles, 64500), variant(2, far.tobytes(), 64500)) == 2
    assert any(k.startswith("asn:") for k in features_of(_unrelated(0)).keys)


def test_key_cache_keeps_placement_identical_and_forgets_rolled_back_keys() -> None:
    features = [f for _, f in sample()]
    _, fresh = place(features)
    db = graph_db()
    cache = TemplateCache()
    for start in range(0, len(features), 25):  # batches sharing one cache, as ingest does
        graph = CampaignGraph(db, 1, cache)
        for f in features[start : start + 25]:
            graph.add(f)
    rows = db.execute("SELECT f.sha256, t.campaign FROM features f JOIN templates t USING (fingerprint)")
    assert partition(dict(rows)) == partition(fresh)
    assert sum(len(cache.stored_keys(f.fingerprint)) for f in features) > 0



def test_a_rolled_back_batch_clears_the_template_cache(tmp_path: Path) -> None:
    with Catalogue(tmp_path / "c.db") as catalogue:
        catalogue._templates.stored_keys(7).add("from:a@b.example")
        with pytest.raises(RuntimeError), catalogue.transaction():
            raise RuntimeError("a failed batch")
        assert catalogue._templates.stored_keys(7) == set()
