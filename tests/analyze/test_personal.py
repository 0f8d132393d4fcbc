"""find_personalization: the recipient's data quoted in a message, with spans."""

from __future__ import annotations

from pollwatch.analyze.personal import find_personalization
from pollwatch.rules.testing import build_message


def _found(**fields: object) -> dict[str, list[str]]:
    parsed = build_message(dict(fields))
    out: dict[str, list[str]] = {}
    for p in find_personalization(parsed):
        text = parsed.body_text if p.where == "body" else parsed.subject
        assert text[p.start : p.end] == p.text
        out.setdefault(p.field, []).append(p.text)
    return out


def test_the_2020_personalisation() -> None:
    body = (
        "Travis Hollowmere,\n\nWe are in possession of all your information "
        "(7107 N Orchard Way, Miami, FL 33125). You are currently registered as a Democrat. "
        "Voter ID 120193132, precinct 12A. We also have your phone number, (305) 555-0138. "
        "Write to travis.hollowmere405@gmail.com."
    )
    found = _found(to="Travis Hollowmere <travis.hollowmere405@gmail.com>", body=body)
    assert found == {
        "name": ["Travis Hollowmere"], "address": ["7107 N Orchard Way, Miami, FL 33125"],
        "party": ["Democrat"], "voter_id": ["120193132"], "precinct": ["12A"],
        "phone": ["(305) 555-0138"], "email": ["travis.hollowmere405@gmail.com"],
    }  # fmt: skip


def test_name_from_mailbox_when_no_display_name() -> None:
    found = _found(to="galloshire.heather@gmail.com", body="Heather Galloshire, we know.")
    assert found["name"] == ["Heather Galloshire"]


def test_greeting_name_fitting_the_mailbox() -> None:
    found = _found(to="ymossgrave68@comcast.net", body="Dear Yvonne,\n\nYour precinct moved.")
    assert found["name"] == ["Yvonne"]


def test_spanish_name_with_accents() -> None:
    found = _found(to="Víctor Núñez <vnunez@example.com>", body="Estimado(a) Victor Nunez: hola")
    assert found["name"] == ["Victor Nunez"]


def test_street_without_city_and_apartment() -> None:
    found = _found(body="We know where you live. 16763 W Pine Dr Apt 4B, Juneau.")
    assert found["address"] == ["16763 W Pine Dr Apt 4B"]


def test_someone_elses_name_is_not_the_recipient() -> None:
    found = _found(
        to="Dana Saltonbury <dsaltonbury@example.com>", body="Thank you,\nDana Greythorne"
    )
    assert "name" not in found


def test_no_personal_data_in_a_generic_message() -> None:
    found = _found(
        to="Ann Lee <ann.lee@example.com>",
        body=(
            "Good morning,\n\nEarly voting runs through November 1. Call our hotline at "
            "1-800-555-0100. Text VOTE to 88022. Donate $25 before midnight."
        ),
    )
    assert found == {}


def test_party_in_a_demand_is_not_the_recipients() -> None:
    assert "party" not in _found(body="Cambie su afiliación a republicano para hacernos saber.")


def test_subject_is_scanned_too() -> None:
    parsed = build_message({"to": "a.lee@example.com", "subject": "a.lee@example.com was hacked"})
    assert [(p.field, p.where) for p in find_personalization(parsed)] == [("email", "subject")]
