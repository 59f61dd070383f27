"""Speech-act typing: from the cue's lexicon type, refined by negation, labels and content."""

from __future__ import annotations

import re

from spacy.tokens import Token

from .cues import Cue
from .lexicon import Lexicon
from .modality import content_act
from .pipeline import lemma
from .subjects import TIME_WORDS

NEGATORS = {"pas", "jamais", "guère", "aucunement", "nullement", "plus"}
LABEL_VERBS = {"qualifier", "traiter", "taxer", "juger", "estimer", "considérer", "trouver"}
# `décrire / présenter / désigner X comme une « menace »`: a label that blames
AS_VERBS = {"décrire", "présenter", "désigner", "dépeindre", "considérer", "voir"}
BLAMING_LABELS = {"menace", "danger", "agresseur", "ennemi", "adversaire", "paria", "complice"}
PROPOSAL_NOUNS = {
    "demande",
    "proposition",
    "revendication",
    "exigence",
    "propos",
    "offre",
    "idée",
    "plan",
    "appel",
    "projet",
    "initiative",
    "ultimatum",
    "condition",
}


def negated(v: Token) -> bool:
    """`n'a pas exclu`: a negated cue does not perform its act (`n'exige plus` is negated,
    `réclame plus de sanctions` asks for more)."""
    has_ne = any(c.lower_ in {"ne", "n'", "n’"} for c in v.children)
    return any(
        c.dep_ == "advmod" and c.lower_ in NEGATORS and (c.lower_ != "plus" or has_ne)
        for c in v.children
    )


def _as_label(cue: Cue, lex: Lexicon) -> str | None:
    """`décrit la Russie comme une « menace »`: calling someone a threat or worse blames."""
    v = cue.tok
    if lemma(v) not in AS_VERBS:
        return None
    doc = v.doc
    window = doc[v.i + 1 : min(v.i + 10, cue.sent.end)]
    k = next((t.i for t in window if t.lower_ == "comme"), None)
    if k is None:
        return None
    after = doc[k + 1 : min(k + 6, cue.sent.end)]
    if any(lemma(t).lower() in BLAMING_LABELS for t in after) or (
        content_act(list(after), lex) == "accusation"
    ):
        return "accusation"
    return None


def _label_type(cue: Cue, lex: Lexicon) -> str | None:
    """`qualifier d'inacceptable` refuses; `qualifier de « crime »` blames."""
    as_label = _as_label(cue, lex)
    if as_label:
        return as_label
    v = cue.tok
    # a misread verb (`Moscou juge « inacceptable »` tagged a noun) keeps its cue's lemma
    lem = lemma(v) if v.pos_ == "VERB" else cue.key
    if lem not in LABEL_VERBS:
        return None
    doc = v.doc
    window = doc[v.i + 1 : min(v.i + 12, cue.sent.end)]
    words = " ".join(t.lower_ for t in window)
    has_label = any(lab in words for lab in lex.rejection_labels)
    if lem in {"juger", "estimer", "considérer", "trouver"}:
        near = " ".join(t.lower_ for t in doc[v.i + 1 : min(v.i + 4, cue.sent.end)])
        if any(lab in near for lab in lex.rejection_labels):
            return "rejection"
        return None
    if has_label:
        return "rejection"
    obj_noun = (
        v.head
        if cue.kind == "acl"
        else next((c for c in v.children if c.dep_ in {"obj", "nsubj:pass"}), None)
    )
    if obj_noun is not None and lemma(obj_noun) in PROPOSAL_NOUNS:
        return "rejection"
    if any(t.lower_ in {"de", "d'", "d’"} for t in window[:8]):
        return "accusation"
    return None


def _content_type(content: list[Token], lex: Lexicon) -> str | None:
    """A plain statement that threatens, demands or offers by what it says (modality.py)."""
    return content_act(content, lex)


# what `selon X, …` may report besides a statement: its sentence is mostly the outlet's own
# account, so blaming words in it are rarely the source's accusation
SELON_ACTS = {"demand", "warning"}

FIRST_PERSON = {"je", "j'", "j’", "nous", "on"}
# cues whose infinitive says what act is promised (`promet de punir`: a warning)
PROMISE_CUES = {"promettre", "jurer", "menacer", "annoncer", "s'engager", "engager"}
# … and those whose promise is a threat when what is promised is a consequence
THREAT_CUES = {"promettre", "jurer", "menacer"}


def _promised_harm(cue: Cue, lex: Lexicon) -> bool:
    """`a promis de « punir » la ville`, `promet de demander des comptes`: a threat."""
    if lemma(cue.tok) not in PROMISE_CUES:
        return False
    for c in cue.tok.children:
        if c.dep_ in {"xcomp", "ccomp"} and "Inf" in c.morph.get("VerbForm", []):
            hit = lex.match_verb(c)
            keys = {lemma(c).lower(), hit[1].replace(" ", "_") if hit else ""}
            if keys & lex.promised_harm:
                return True
    return False


def inner_act(
    content: list[Token], lex: Lexicon, cue: Token | None = None
) -> tuple[str, Token] | None:
    """`« J'ai invité la Russie… », a-t-il dit`, `dit avoir mis en garde`: the act inside."""
    for t in content:
        if t.pos_ != "VERB":
            continue
        if (
            cue is not None
            and t.head.i == cue.i
            and t.dep_ in {"xcomp", "ccomp"}
            and "Inf"
            in t.morph.get("VerbForm", [])
            + t.head.morph.get("VerbForm", [])
            + [a.morph.get("VerbForm", ["?"])[0] for a in t.children if a.dep_.startswith("aux")]
        ):
            hit = lex.match_verb(t)
            if hit and hit[0] != "statement" and not negated(t):
                sense = sense_of(t, hit[1], lex)
                if sense == "none":
                    continue
                return sense or hit[0], t
        subj = [c for c in t.children if c.dep_ in {"nsubj", "expl:subj"}]
        subj += [
            g
            for c in t.children
            if c.dep_.startswith("aux")
            for g in c.children
            if g.dep_ == "nsubj"
        ]
        if not any(c.lower_ in FIRST_PERSON for c in subj):
            continue
        hit = lex.match_verb(t)
        if hit and hit[0] != "statement" and not negated(t):
            return hit[0], t
    return None


MEETING_VERBS = {
    "participer",
    "rencontrer",
    "négocier",
    "dialoguer",
    "discuter",
    "venir",
    "rejoindre",
    "assister",
    "reprendre",
    "renouer",
    "visiter",
    "échanger",
}


def _invitation_type(cue: Cue) -> str | None:
    """`inviter/appeler X à participer, à rencontrer` offers; `à enquêter` asks for a task."""
    if lemma(cue.tok) not in {"inviter", "appeler"}:
        return None
    for c in cue.tok.children:
        if c.dep_ in {"xcomp", "ccomp", "advcl"} and "Inf" in c.morph.get("VerbForm", []):
            return "offer" if lemma(c) in MEETING_VERBS else "demand"
    return None


# `prévenir` warns people and prevents things: these objects are people
WARNED_NOUNS = {
    "population",
    "habitant",
    "allié",
    "pays",
    "gouvernement",
    "autorité",
    "monde",
    "communauté",
    "dirigeant",
    "partenaire",
    "voisin",
    "occidental",
    "européen",
    "citoyen",
    "opinion",
    "public",
    "président",
    "ministre",
    "adversaire",
    "ennemi",
}


def sense_of(tok: Token, key: str, lex: Lexicon) -> str | None:
    """The act a cue verb's object gives it (`[senses]`): `revendiquer la prise` claims;
    `prévenir` a thing (`la dissémination`) prevents it: no speech ("none")."""
    table = lex.senses.get(key) or lex.senses.get(lemma(tok))
    if not table:
        return None
    objects = [c for c in tok.children if c.dep_ in {"obj", "nsubj:pass"}]
    # `le contrôle de X, revendiqué par Y`, `les bombardements qu'a ordonnés le Kremlin`
    if (
        tok.dep_.startswith("acl")
        and tok.head.pos_ == "NOUN"
        and (tok.dep_ == "acl" or any(c.lower_ in {"que", "qu'", "qu’"} for c in objects))
        # (a present participle has its own object: `un décret revendiquant l'annexion`)
        and not ("Pres" in tok.morph.get("Tense", []) and objects)
    ):
        objects = [tok.head]
    clause = any(c.dep_ in {"ccomp", "xcomp", "csubj"} for c in tok.children) or any(
        t.lower_ in {"que", "qu'", "qu’", ":"} for t in tok.doc[tok.i + 1 : tok.i + 3]
    )
    if not objects and not clause:
        # a misparsed object (`a revendiqué, vendredi, la prise`): the next noun but a date
        near = tok.doc[tok.i + 1 : min(tok.i + 6, tok.sent.end)]
        objects = [
            t
            for t in near
            if t.pos_ == "NOUN"
            and lemma(t).lower() not in TIME_WORDS
            and t.i > 0
            and t.doc[t.i - 1].pos_ == "DET"
        ][:1]
    for c in objects:
        if c.pos_ in {"NOUN", "PROPN"}:
            found = table.get(c.lower_) or table.get(lemma(c).lower())
            if found is None and "none" in table.values() and c.pos_ == "NOUN":
                clause = any(g.dep_ in {"ccomp", "acl:relcl"} for g in tok.children)
                if lemma(c).lower() not in WARNED_NOUNS and not clause:
                    return "none"
            return found
    return None


POSSESSIVE = {"son", "sa", "ses", "leur", "leurs"}


def _owned_act(cue: Cue, lex: Lexicon) -> str | None:
    """`assume son refus de …`, `réitère son appel à …`, `défend sa demande`: a neutral verb
    over the speaker's own act is that act; `se prononcer contre …` refuses."""
    if cue.type != "statement":
        return None
    v = cue.tok
    for c in v.children:
        if c.dep_ == "obj" and c.pos_ == "NOUN" and c.i > v.i:
            mine = any(d.dep_ == "det" and d.lower_ in POSSESSIVE for d in c.children)
            type_ = lex.noun_type(c) if mine else None
            if type_ and type_ != "statement":
                return type_
    if lemma(v) == "prononcer" and any(c.lower_ in {"se", "s'", "s’"} for c in v.children):
        against = any(
            c.dep_.startswith("obl") and any(g.lower_ == "contre" for g in c.children)
            for c in v.children
        )
        return "rejection" if against else None
    return None


def _sense(cue: Cue, lex: Lexicon) -> str | None:
    return sense_of(cue.tok, cue.key, lex)


def act_type(
    cue: Cue, content: list[Token], lex: Lexicon, quoted: list[Token] | None = None
) -> tuple[str, float]:
    """Final type and a confidence for one cue; "none" when the cue is no speech at all.
    `quoted`: the content's words inside a quotation (the source's own)."""
    conf = {"verb": 0.85, "noun": 0.6, "selon": 0.75}.get(cue.kind, 0.7)
    if cue.weak:
        conf -= 0.1
    if cue.kind in {"verb", "participle", "passive", "acl"}:
        sense = _sense(cue, lex)
        if sense:
            return sense, conf - 0.1
        label = _label_type(cue, lex)
        if label:
            return label, conf - 0.1
        if negated(cue.tok) and cue.type != "statement":
            return "statement", conf - 0.2
        invitation = _invitation_type(cue)
        if invitation:
            return invitation, conf - 0.1
        owned = _owned_act(cue, lex)
        if owned:
            return owned, conf - 0.1
        if lemma(cue.tok) == "demander" and any(t.text == "?" for t in content):
            return "statement", conf - 0.2  # `lui a demandé : « … ? »` asks a question
    if _promised_harm(cue, lex) or (
        lemma(cue.tok) in THREAT_CUES and _content_type(content, lex) == "warning"
    ):
        return "warning", conf - 0.1
    if lex.is_literal(cue.key):
        return cue.type, conf
    if cue.type == "statement" or (cue.type == "offer" and lemma(cue.tok) == "dire"):
        inner = inner_act(content, lex, cue.tok)
        if inner is not None:
            return inner[0], conf - 0.1
        refined = _content_type(content, lex)
        if refined and cue.kind == "selon" and refined not in SELON_ACTS:
            # blaming words count when they are the source's own, quoted
            refined = refined if quoted and _content_type(quoted, lex) == refined else None
        if refined:
            return refined, conf - 0.15
        if lemma(cue.tok) in lex.assertions and denies(content):
            return "denial", conf - 0.2
    return cue.type, conf


# `… n'est pas ukrainien`, `ce n'était pas un de nos missiles`, `n'a jamais été visé`
_DENIED_FACT = re.compile(
    r"(?<!\w)(?:n'|n’|ne )(?:(?:est|était|sont|étaient)(?: (?:pas|jamais|nullement))"
    r"|(?:a|ont|avait|avaient)(?: (?:pas|jamais|nullement)) été)(?!\w)"
    # … but a stance is not a fact: `n'est pas favorable`, `n'est pas question`, `pas prêt`
    r"(?! (?:favorable|prêt|question|d'accord|d’accord|opposé|hostile|disposé|envisageable"
    r"|acceptable|souhaitable|nécessaire|possible|exclu|temps|l'heure|l’heure))",
    re.IGNORECASE,
)


def denies(content: list[Token]) -> bool:
    """An assertion whose content negates a fact (`réaffirme que le missile n'est pas …`)."""
    text = "".join(t.text_with_ws for t in content)
    return _DENIED_FACT.search(text) is not None
