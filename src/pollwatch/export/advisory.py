"""A public advisory draft in Markdown: what was sent, why it is false, what to do.

``render_advisory(case, lang="en"|"es")`` writes for the public and the press
in short plain sentences. Every fact comes from the case: the counts, dates
and claimed sender from the campaign record; the impersonation evidence from
the sample's sender analysis; the "why it is false" paragraphs from the
rebuttals of the findings that fired (the category's own rebuttal in Spanish,
kept here, since rules carry English text) and the references of those rules
and categories. Text the office must supply is marked ``[TO FILL: ...]``.

The case is redacted first (:func:`pollwatch.export.redaction.redact_case`) and
the template is quoted with its personal-data slots as placeholders, so no
recipient's name, mailbox or address can reach the draft.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from pollwatch.analyze.context import shipped_rules
from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.export.redaction import redact_case
from pollwatch.rules import RuleSet
from pollwatch.rules.taxonomy import CATEGORIES, Reference

QUOTE_LINES = 6
QUOTE_CHARS = 480
# The claims in the order a reader needs them answered: the secret ballot first.
ORDER = ("claim.vote_surveillance", "claim.data_access", "intimidation.voter",
         "disinfo.procedure", "phish.credential", "extortion", "threat.violence")  # fmt: skip
_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|\[REDACTED:([A-Za-z_]+)\]")
_URL = re.compile(r"(?i)\b(?:(http)(s?)://|(?=www\.))([^\s/<>\"']+)")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_LINE_START = re.compile(r"^(\s*)([-+=])|^(\s*\d+)([.)])")  # lists, rules, setext headings


@dataclass(frozen=True)
class Rebuttal:
    category: str
    texts: tuple[str, ...]  # the distinct rebuttals its findings carried (English)


@dataclass(frozen=True)
class Facts:
    """What the draft may say, all read from the (redacted) case."""

    sender: str | None  # "Display <address>" of the most frequent claimed From
    domain: str | None
    targets: tuple[str, ...]  # impersonated protected identities, most frequent first
    categories: tuple[str, ...]
    impersonation: tuple[tuple[str, int], ...]  # kind -> sample messages showing it
    examined: int  # messages in the sample
    rebuttals: tuple[Rebuttal, ...]
    references: tuple[Reference, ...]


def render_advisory(case: Case, *, lang: str = "en", rules: RuleSet | None = None) -> str:
    """The advisory draft for ``case`` in ``lang`` (``en`` or ``es``); UsageError otherwise."""
    if lang not in TEXTS:
        raise UsageError(f"no advisory in language {lang!r}; choose one of {', '.join(TEXTS)}")
    safe = redact_case(case)
    facts = gather_facts(safe, rules or shipped_rules())
    t = TEXTS[lang]
    parts = [
        _head(safe, facts, t),
        _what_was_sent(safe, facts, t),
        _why_false(facts, t),
        _what_to_do(safe, facts, t),
        _what_we_do(safe, t),
        _contact(t),
        _sources(facts, t),
    ]
    return "\n\n".join(p for p in parts if p).rstrip() + "\n"


def gather_facts(case: Case, rules: RuleSet) -> Facts:
    campaign = case.campaign
    address = max(campaign.senders, key=lambda a: campaign.senders[a], default=None)
    displays = Counter(a.message.from_.display for a in case.sample
                       if a.message.from_ and a.message.from_.address == address
                       and a.message.from_.display)  # fmt: skip
    display = displays.most_common(1)[0][0] if displays else None
    targets: Counter[str] = Counter()  # messages naming each protected identity
    for analysis in case.sample:
        targets.update({i.target for i in analysis.sender.impersonation if i.protected})
    main = targets.most_common(1)[0][0] if targets else None
    kinds: Counter[str] = Counter()  # messages showing each kind of evidence, for the main target
    for analysis in case.sample:
        kinds.update({i.kind for i in analysis.sender.impersonation if i.target == main})
    fired = sorted({f.rule for a in case.sample for f in a.findings})
    return Facts(
        sender=f"{display} <{address}>" if display and address else address,
        domain=address.rpartition("@")[2] if address else None,
        targets=tuple(t for t, _ in targets.most_common()), categories=campaign.categories,
        impersonation=tuple(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        examined=len(case.sample), rebuttals=tuple(_rebuttals(case)),
        references=tuple(_references(rules, fired, campaign.categories)),
    )  # fmt: skip


def _rebuttals(case: Case) -> Iterator[Rebuttal]:
    """The rebuttals of the findings, by category in ``ORDER``; a category of the campaign
    without findings in the sample gets the category's own rebuttal."""
    found: dict[str, list[str]] = {}
    for finding in (f for a in case.sample for f in a.findings):
        texts = found.setdefault(finding.category, [])
        if finding.rebuttal and finding.rebuttal.strip() not in texts:
            texts.append(finding.rebuttal.strip())
    for category in case.campaign.categories:
        default = CATEGORIES[category].rebuttal if category in CATEGORIES else None
        if default and not found.get(category):
            found[category] = [default]
    rank = {c: i for i, c in enumerate(ORDER)}
    for category in sorted(found, key=lambda c: (rank.get(c, len(ORDER)), c)):
        if found[category]:
            yield Rebuttal(category, tuple(found[category]))


def _references(
    rules: RuleSet, fired: list[str], categories: tuple[str, ...]
) -> Iterator[Reference]:
    """The references of the rules that fired, then of the campaign's categories, once each."""
    seen: set[str] = set()
    refs = [ref for rule_id in fired if (rule := rules.get(rule_id)) for ref in rule.references]
    refs += [ref for c in categories if c in CATEGORIES for ref in CATEGORIES[c].references]
    for ref in refs:
        if ref.url not in seen:
            seen.add(ref.url)
            yield ref


# ------------------------------------------------------------------ sections


def _head(case: Case, facts: Facts, t: Texts) -> str:
    target = _md(facts.targets[0]) if facts.targets else None
    headline = t.headline_target.format(target=target) if target else t.headline
    lead = t.lead_target.format(target=target) if target else t.lead
    claims = [t.claims[c] for c in ORDER if c in facts.categories and c in t.claims]
    if claims:
        lead += " " + t.claim_lead.format(claim=_join(claims, t.conj))
    note = t.draft_note.format(id=_md(case.campaign.campaign_id))
    return f"# {headline}\n\n*{note}*\n\n{lead}"


def _what_was_sent(case: Case, facts: Facts, t: Texts) -> str:
    campaign = case.campaign
    when = _span(campaign.first_seen, campaign.last_seen, t)
    waves = t.waves.format(n=len(campaign.waves)) if len(campaign.waves) > 1 else ""
    para = [t.sent_when.format(when=when, waves=waves) if when else t.sent_nowhen]
    para.append(_counts(campaign.size, campaign.recipients, campaign.reports, t))
    lines = [f"## {t.h_sent}", "", " ".join(p for p in para if p), ""]
    if facts.sender:
        lines.append(f"- **{t.l_sender}:** `{facts.sender.replace('`', '')}`")
    if facts.targets:
        lines.append(f"- **{t.l_pretends}:** {', '.join(_md(x) for x in facts.targets)}")
    subject = campaign.template.subject or (case.sample[0].message.subject if case.sample else "")
    if subject.strip():
        lines.append(f"- **{t.l_subject}:** {_slotted(' '.join(subject.split()), t)}")
    by_state = campaign.recipients_by_state
    if by_state:
        states = sorted(by_state, key=lambda s: (-by_state[s], s))
        lines.append(f"- **{t.l_states}:** {', '.join(_md(s) for s in states)}")
    quote = _quote(campaign.template.body, t)
    if quote:
        code = campaign.template.language or ""
        other = code != t.lang and code in t.languages
        intro = t.quote_in.format(language=t.languages[code]) if other else t.quote_intro
        lines += ["", intro, "", quote]
    return "\n".join(lines)


def _counts(size: int, recipients: int, reports: int, t: Texts) -> str:
    if size == 1:
        out = [t.copies_one]
    else:
        out = [t.copies_many.format(n=size)]
        if recipients:
            out.append(t.reached_one if recipients == 1 else t.reached_many.format(n=recipients))
    if reports:
        out.append(t.reported_one if reports == 1 else t.reported_many.format(n=reports))
    return " ".join(out)


def _why_false(facts: Facts, t: Texts) -> str:
    blocks = [f"## {t.h_false}"]
    if facts.targets and facts.impersonation:
        target = _md(facts.targets[0])
        items = [_in_sample(n, facts.examined, t) + t.impersonation.get(kind, t.impersonation[
                 "other"]).format(target=target, domain=_md(facts.domain or target))
                 for kind, n in facts.impersonation]  # fmt: skip
        blocks.append(f"**{t.not_from.format(target=target)}**\n\n" + _bullets(items))
    for rebuttal in facts.rebuttals:
        text = " ".join(rebuttal.texts) if t.lang == "en" else t.rebuttals.get(rebuttal.category)
        claim = t.claims.get(rebuttal.category)
        if text:
            blocks.append(f"**{t.claim_lead.format(claim=claim)}** {text}" if claim else text)
    return "\n\n".join(blocks) if len(blocks) > 1 else ""


def _in_sample(n: int, m: int, t: Texts) -> str:
    if m == 1:
        return t.in_the_one
    return t.in_all.format(m=m) if n == m else t.in_some.format(n=n, m=m)


def _what_to_do(case: Case, facts: Facts, t: Texts) -> str:
    by_provider = case.campaign.recipients_by_provider
    # providers shared by two people or more: a domain with one recipient could name them
    shared = sorted(
        (p for p in by_provider if by_provider[p] > 1), key=lambda p: (-by_provider[p], p)
    )
    listed = f": {', '.join(_md(p) for p in shared[:5])}" if shared else ""
    steps = [*t.steps, t.step_forward.format(providers=listed)]
    steps.append(t.step_keep)
    if {"threat.violence", "intimidation.voter"} & set(facts.categories):
        steps.append(t.step_danger)
    return f"## {t.h_do}\n\n" + _bullets(steps)


def _what_we_do(case: Case, t: Texts) -> str:
    return f"## {t.h_we}\n\n" + t.we_do.format(n=case.campaign.size)


def _contact(t: Texts) -> str:
    return f"## {t.h_contact}\n\n" + "  \n".join(f"[TO FILL: {item}]" for item in t.contact)


def _sources(facts: Facts, t: Texts) -> str:
    if not facts.references:
        return ""
    items = [f"[{_md(r.title)}](<{r.url}>){t.source_note}" for r in facts.references]
    return f"## {t.h_sources}\n\n" + _bullets(items)


# ------------------------------------------------------------------ text helpers


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _join(items: list[str], conj: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conj} {items[-1]}"


def _span(first: datetime | None, last: datetime | None, t: Texts) -> str:
    if first is None or last is None:
        day = first or last
        return t.on_day.format(day=t.date(day)) if day else ""
    first, last = first.astimezone(UTC), last.astimezone(UTC)
    if first.date() == last.date():
        return t.on_day.format(day=t.date(first))
    return t.between.format(first=t.date(first, year=first.year != last.year), last=t.date(last))


def _md(text: str) -> str:
    """Untrusted text as literal Markdown: no markup, no HTML, no live links."""
    escaped = _LINE_START.sub(r"\1\3\\\2\4", _MD_SPECIAL.sub(r"\\\1", text))
    return _URL.sub(_defang, escaped)


def _defang(match: re.Match[str]) -> str:
    scheme = f"hxxp{match.group(2)}://" if match.group(1) else ""
    return scheme + match.group(3).replace(".", "[.]")


def _slotted(text: str, t: Texts) -> str:
    """Escape literal text; show template slots and redaction tokens as placeholders."""
    out, pos = [], 0
    for match in _SLOT.finditer(text):
        out.append(_md(text[pos : match.start()]))
        name = re.sub(r"\d+$", "", match.group(1) or match.group(2))
        out.append(t.placeholders.get(name, t.placeholders["var"]))
        pos = match.end()
    out.append(_md(text[pos:]))
    return "".join(out)


def _quote(body: str, t: Texts) -> str:
    lines = [" ".join(line.split()) for line in body.splitlines()]
    lines = [line for line in lines if line]
    kept: list[str] = []
    for line in lines:
        if len(kept) == QUOTE_LINES or sum(map(len, kept)) + len(line) > QUOTE_CHARS:
            break
        kept.append(line)
    if not kept and lines:
        kept = [lines[0][:QUOTE_CHARS]]
    quoted = [f"> {_slotted(line, t)}" for line in kept]
    if len(kept) < len(lines):
        quoted.append("> …")
    return "  \n".join(quoted)


# ------------------------------------------------------------------ the words


@dataclass(frozen=True, kw_only=True)
class Texts:
    """Every sentence of the draft in one language; ``{names}`` are filled from the case."""

    lang: str
    months: tuple[str, ...]
    date_format: str
    with_year: str
    headline: str
    headline_target: str
    draft_note: str
    lead: str
    lead_target: str
    claim_lead: str
    conj: str
    claims: dict[str, str]  # category -> what the message does, as a verb phrase
    h_sent: str
    on_day: str
    between: str
    sent_when: str
    sent_nowhen: str
    waves: str
    copies_one: str
    copies_many: str
    reached_one: str
    reached_many: str
    reported_one: str
    reported_many: str
    l_sender: str
    l_pretends: str
    l_subject: str
    l_states: str
    quote_intro: str
    quote_in: str
    languages: dict[str, str]
    placeholders: dict[str, str]  # template slot -> placeholder
    h_false: str
    not_from: str
    in_the_one: str
    in_all: str
    in_some: str
    impersonation: dict[str, str]  # sender analysis kind -> sentence
    rebuttals: dict[str, str]  # category -> rebuttal (Spanish only; English comes from rules)
    h_do: str
    steps: tuple[str, ...]
    step_forward: str
    step_keep: str
    step_danger: str
    h_we: str
    we_do: str
    h_contact: str
    contact: tuple[str, ...]
    h_sources: str
    source_note: str

    def date(self, when: datetime, *, year: bool = True) -> str:
        day = when.astimezone(UTC)
        shown = self.date_format.format(day=day.day, month=self.months[day.month - 1])
        return self.with_year.format(date=shown, year=day.year) if year else shown


# fmt: off
EN = Texts(
    lang="en",
    months=("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"),
    date_format="{month} {day}",
    with_year="{date}, {year}",
    headline="Warning: a false email sent to voters",
    headline_target="Warning: false emails sent to voters in the name of {target}",
    draft_note="Draft public advisory prepared with pollwatch from campaign {id}. Check every "
    "line and complete each [TO FILL: ...] item before publishing.",
    lead="[TO FILL: name of the election office] is warning voters about a false email.",
    lead_target="[TO FILL: name of the election office] is warning voters about false emails "
    "that claim to come from {target}.",
    claim_lead="The message {claim}.",
    conj="and",
    claims={
        "claim.vote_surveillance": "claims the sender will know how you voted",
        "claim.data_access": "claims the sender broke into voter records or voting systems",
        "intimidation.voter": "demands that you vote a certain way or change your party",
        "disinfo.procedure": "gives false instructions about how or when to vote",
        "phish.credential": "asks for passwords or account details",
        "extortion": "demands money",
        "threat.violence": "threatens you with violence",
    },
    h_sent="What was sent",
    on_day="On {day}",
    between="Between {first} and {last}",
    sent_when="{when}, people received this email{waves}.",
    sent_nowhen="People received this email.",
    waves=" in {n} waves",
    copies_one="We know of one copy of it.",
    copies_many="We know of {n} copies of it.",
    reached_one="They were sent to one email address.",
    reached_many="They were sent to {n} different email addresses.",
    reported_one="One person who received it reported it to us.",
    reported_many="{n} people who received it reported it to us.",
    l_sender="Sender shown",
    l_pretends="Pretends to be",
    l_subject="Subject",
    l_states="States of the people who received it (where known)",
    quote_intro="Part of the message. Personal details are replaced by words in brackets:",
    quote_in="Part of the message (it is in {language}). Personal details are replaced by "
    "words in brackets:",
    languages={"en": "English", "es": "Spanish"},
    placeholders={
        "name": "[name]", "address": "[home address]", "phone": "[phone number]",
        "email": "[email address]", "party": "[party]", "precinct": "[precinct]",
        "voter_id": "[voter ID number]", "url": "[link]", "number": "[number]",
        "var": "[text that changes]", "pii": "[personal details]", "text": "[personal details]",
    },
    h_false="This email is false",
    not_from="It did not come from {target}.",
    in_the_one="In the message we examined, ",
    in_all="In all {m} messages we examined, ",
    in_some="In {n} of the {m} messages we examined, ",
    impersonation={
        "unauthenticated_domain": "the message failed DMARC, the check that shows whether mail "
        "really comes from {domain}.",
        "return_path_divergence": "mail that cannot be delivered goes back to a different "
        "organisation, not to {target}.",
        "reply_to_divergence": "replies would go to a different organisation, not to {target}.",
        "message_id_host": "the message's technical ID was made by a computer unrelated to "
        "{target}.",
        "display_name": "the sender's name says {target}, but the address does not belong to "
        "{target}.",
        "lookalike_domain": "the sender's address uses a domain made to look like one of "
        "{target}'s.",
        "other": "the technical details do not match mail sent by {target}.",
    },
    rebuttals={},
    h_do="What to do if you received it",
    steps=(
        "Do not reply. Do not click on links or open attachments in it.",
        "You do not have to do anything the message asks.",
        "Report it to your election office: [TO FILL: how to report it to the election office: "
        "email address, phone number or web form].",
        "Report it to the FBI at https://tips.fbi.gov and to the FBI's Internet Crime Complaint "
        "Center (IC3) at https://www.ic3.gov.",
    ),
    step_forward="Forward it to your email provider as an attachment (\"Forward as attachment\") "
    "so the technical details are kept: [TO FILL: where to report it at the main providers of "
    "the people who received it{providers}].",
    step_keep="Keep the message until you have reported it. Then you can delete it.",
    step_danger="If you feel you are in danger, call 911.",
    h_we="What we are doing",
    we_do="We have collected and examined every copy we know of ({n} in total). [TO FILL: what "
    "the office is doing: for example, which agencies it has told, what other steps it is "
    "taking, when it will update this notice].",
    h_contact="Contact",
    contact=("name of the election office", "phone number for the public",
             "email address for reports", "web page with updates",
             "press contact: name, phone and email"),
    h_sources="Sources",
    source_note="",
)

ES = Texts(
    lang="es",
    months=("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
            "septiembre", "octubre", "noviembre", "diciembre"),
    date_format="{day} de {month}",
    with_year="{date} de {year}",
    headline="Aviso: un correo falso enviado a votantes",
    headline_target="Aviso: correos falsos enviados a votantes en nombre de {target}",
    draft_note="Borrador de aviso público preparado con pollwatch a partir de la campaña {id}. "
    "Revise cada línea y complete cada campo [TO FILL: ...] antes de publicarlo.",
    lead="[TO FILL: nombre de la oficina electoral] advierte a los votantes sobre un correo "
    "falso.",
    lead_target="[TO FILL: nombre de la oficina electoral] advierte a los votantes sobre "
    "correos falsos que dicen venir de {target}.",
    claim_lead="El mensaje {claim}.",
    conj="y",
    claims={
        "claim.vote_surveillance": "dice que el remitente sabrá por quién votó usted",
        "claim.data_access": "dice que el remitente entró en los registros de votantes o en los "
        "sistemas de votación",
        "intimidation.voter": "le exige votar de cierta manera o cambiar de partido",
        "disinfo.procedure": "da instrucciones falsas sobre cómo o cuándo votar",
        "phish.credential": "pide contraseñas o datos de cuentas",
        "extortion": "exige dinero",
        "threat.violence": "le amenaza con violencia",
    },
    h_sent="Qué se envió",
    on_day="El {day}",
    between="Entre el {first} y el {last}",
    sent_when="{when}, varias personas recibieron este correo{waves}.",
    sent_nowhen="Varias personas recibieron este correo.",
    waves=" en {n} oleadas",
    copies_one="Conocemos una copia.",
    copies_many="Conocemos {n} copias.",
    reached_one="Todas llegaron a la misma dirección de correo.",
    reached_many="Llegaron a {n} direcciones de correo distintas.",
    reported_one="Una persona que lo recibió nos lo reportó.",
    reported_many="{n} personas que lo recibieron nos lo reportaron.",
    l_sender="Remitente que aparece",
    l_pretends="Se hace pasar por",
    l_subject="Asunto",
    l_states="Estados de las personas que lo recibieron (cuando se sabe)",
    quote_intro="Parte del mensaje. Los datos personales se cambiaron por palabras entre "
    "corchetes:",
    quote_in="Parte del mensaje (está en {language}). Los datos personales se cambiaron por "
    "palabras entre corchetes:",
    languages={"en": "inglés", "es": "español"},
    placeholders={
        "name": "[nombre]", "address": "[domicilio]", "phone": "[teléfono]",
        "email": "[correo electrónico]", "party": "[partido]", "precinct": "[precinto]",
        "voter_id": "[número de votante]", "url": "[enlace]", "number": "[número]",
        "var": "[texto que cambia]", "pii": "[dato personal]", "text": "[dato personal]",
    },
    h_false="Este correo es falso",
    not_from="No lo envió {target}.",
    in_the_one="En el mensaje que examinamos, ",
    in_all="En los {m} mensajes que examinamos, ",
    in_some="En {n} de los {m} mensajes que examinamos, ",
    impersonation={
        "unauthenticated_domain": "el mensaje no pasó la verificación DMARC, que muestra si un "
        "correo viene de verdad de {domain}.",
        "return_path_divergence": "el correo que no se puede entregar vuelve a otra "
        "organización, no a {target}.",
        "reply_to_divergence": "las respuestas irían a otra organización, no a {target}.",
        "message_id_host": "el código técnico del mensaje lo creó una computadora que no tiene "
        "relación con {target}.",
        "display_name": "el nombre del remitente dice {target}, pero la dirección no es de "
        "{target}.",
        "lookalike_domain": "la dirección del remitente usa un dominio hecho para parecerse a "
        "uno de {target}.",
        "other": "los datos técnicos no corresponden a un correo enviado por {target}.",
    },
    rebuttals={
        "claim.vote_surveillance": "Su voto es secreto. Los funcionarios electorales anotan si "
        "usted votó, nunca por quién votó. Las boletas contadas no se pueden relacionar con la "
        "persona que votó. Ningún grupo, campaña ni hacker puede saber por quién votó usted.",
        "claim.data_access": "Los nombres, las direcciones y el partido de los votantes están en "
        "las listas del registro electoral. Muchos estados entregan esas listas a las campañas y "
        "al público. Que el mensaje cite esos datos no prueba que alguien haya entrado en ningún "
        "sistema. Otras veces ya se dijo que alguien había entrado en los sistemas de votación "
        "para asustar a los votantes, y era falso: las agencias federales no encontraron pruebas "
        "de que alguien pudiera cambiar o ver los votos.",
        "intimidation.voter": "Intimidar, amenazar o presionar a una persona para que vote o no "
        "vote, o para que vote por un candidato, es un delito federal. Reporte el mensaje a la "
        "policía local, a su oficina electoral y al FBI. Nadie puede obligarle a cambiar de "
        "partido en su registro, y nadie puede ver por quién vota usted.",
        "disinfo.procedure": "El día de las elecciones es el mismo para todos los votantes, sea "
        "cual sea su partido o su precinto. No se puede votar por mensaje de texto, por teléfono, "
        "por correo electrónico ni respondiendo a un mensaje. Confirme fechas, lugares de "
        "votación y requisitos solo con la oficina electoral de su estado o de su condado.",
        "phish.credential": "Las oficinas electorales nunca le piden la contraseña de su correo. "
        "Revise su registro solo en el sitio web oficial de elecciones de su estado. Escriba "
        "usted mismo la dirección; no use un enlace que le llegó en un mensaje.",
        "extortion": "Estos mensajes de chantaje se envían a muchas personas a la vez. Casi "
        "siempre inventan que tienen grabaciones o que entraron en sus aparatos. No pague y "
        "reporte el mensaje.",
    },
    h_do="Qué hacer si lo recibió",
    steps=(
        "No responda. No haga clic en los enlaces ni abra los archivos adjuntos.",
        "No tiene que hacer nada de lo que pide el mensaje.",
        "Repórtelo a su oficina electoral: [TO FILL: cómo reportarlo a la oficina electoral: "
        "correo electrónico, teléfono o formulario web].",
        "Repórtelo al FBI en https://tips.fbi.gov y al Centro de Denuncias de Delitos en "
        "Internet del FBI (IC3) en https://www.ic3.gov.",
    ),
    step_forward="Reenvíelo a su proveedor de correo como archivo adjunto (\"Reenviar como "
    "archivo adjunto\"), así se conservan los datos técnicos: [TO FILL: dónde reportarlo en los "
    "principales proveedores de las personas que lo recibieron{providers}].",
    step_keep="Guarde el mensaje hasta que lo haya reportado. Después puede borrarlo.",
    step_danger="Si siente que está en peligro, llame al 911.",
    h_we="Qué estamos haciendo",
    we_do="Reunimos y examinamos todas las copias que conocemos ({n} en total). [TO FILL: qué "
    "está haciendo la oficina: por ejemplo, a qué agencias avisó, qué otras medidas toma, "
    "cuándo actualizará este aviso].",
    h_contact="Contacto",
    contact=("nombre de la oficina electoral", "teléfono para el público",
             "correo electrónico para reportes", "página web con novedades",
             "contacto de prensa: nombre, teléfono y correo electrónico"),
    h_sources="Fuentes",
    source_note=" (en inglés)",
)

# fmt: on

TEXTS: dict[str, Texts] = {"en": EN, "es": ES}
