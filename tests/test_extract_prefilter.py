"""Hand-written cases for the extractor's prefilter and its cheap sentence-boundary component."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spacy.attrs import SENT_START  # noqa: E402

from worker.extract import load_model  # noqa: E402
from worker.extract.actors import load_kb  # noqa: E402
from worker.extract.lexicon import load_lexicon  # noqa: E402
from worker.extract.pipeline import SENT_END, line_breaks  # noqa: E402
from worker.extract.prefilter import Prefilter  # noqa: E402
from worker.extract.quotes import find_quotes  # noqa: E402


@pytest.fixture(scope="module")
def pf() -> Prefilter:
    kb = load_kb()
    return Prefilter(load_lexicon(), [*kb.surfaces, *kb.nationalities])


@pytest.mark.parametrize(
    "text",
    [
        "Le ministre a rejeté la proposition du voisin.",  # active compound tense
        "La délégation s'est opposée au texte.",  # reflexive compound tense
        "Le plan, critiqué par plusieurs capitales, sera revu.",  # participle with its agent
        "Le maire appelle les habitants à rester chez eux.",  # `appeler à`
        "La demande de la Norvège reste sans réponse.",  # noun with its author
        "La ministre estime que le calendrier tiendra.",  # weak verb with a clause
        "Moscou dénonce une provocation.",  # strong verb, present tense
        "Otan : « Nous restons unis »\nUne réunion s'est tenue hier.",  # named, colon-framed
        "Lucie Varenne : « Il faut rouvrir le dialogue »\nL'historienne publie un essai.",  # a name
        "La déclaration de la Norvège selon laquelle le port restera ouvert rassure.",  # said
        "Les propos tenus par la ministre ont surpris.",  # a speech noun with its agent
        "La chancelière assume de poursuivre le dialogue.",  # weak verb + infinitive
        "Les autorités recommandent d'abandonner ce logiciel.",
        "Dans une tribune au « Monde », deux historiens décryptent la crise.",  # a quoting sentence
        "« Nous tiendrons », a-t-il déclaré.",  # the auxiliary before an inverted pronoun
        "Vendredi, le président a donné des précisions sur les armes livrées.",  # a plural
    ],
)
def test_prefilter_keeps(pf, text):
    assert pf.keep(text)


@pytest.mark.parametrize(
    "text",
    [
        "D’après Kiev, le pont est coupé.",
        "D'APRÈS KIEV, LE PONT EST COUPÉ.",
        "D'apres Kiev, le pont est coupe.",
        "Le ministre s’est\u00a0dit prêt à venir.",
        "Pour le gouvernement, il faut tenir.",
    ],
)
def test_prefilter_finds_a_locution_whatever_its_accents_case_and_apostrophe(pf, text):
    """Locutions are matched as `fold` reads them (`d’après` is `d'apres`), without folding
    every text whole."""
    assert pf.keep(text)
    assert pf.first_cue(text) in {"d'apres", "s'est dit", "il faut"}


@pytest.mark.parametrize(
    "text",
    [
        "Trois élus accusés de corruption comparaissent lundi.",  # participle, no agent
        "Le village a été appelé ainsi en souvenir d'un meunier.",  # `appeler` without `à`
        "Une menace pèse sur les récoltes cette année.",  # noun without author
        "Depuis l'annonce, les prix montent.",  # `l'annonce` after a preposition: a noun
        "La ministre estime le coût à trois millions.",  # weak verb, no clause
        "Un été pluvieux : « Quelle saison ! »\nLes campings sont vides.",  # nobody named
        "La déclaration de guerre surprend les historiens.",  # a speech noun, nothing said
        "La ministre estime le coût du premier dossier.",  # -er words that are no infinitive
    ],
)
def test_prefilter_skips(pf, text):
    assert not pf.keep(text)


def _reference_line_breaks(doc):
    """The component as first written, token by token (the fast one must agree)."""
    quotes = find_quotes(doc.text)
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if "\n" in prev.text_with_ws or "\n" in prev.text:
            tok.is_sent_start = True
        elif tok.is_space:
            continue
        elif (
            quotes.inside(tok.idx)
            or (prev.text not in SENT_END and not prev.is_space)
            or tok.text[:1].islower()
            or tok.text in {",", "»", "”", ")"}
            or (quotes.containing(tok.idx - 1) and tok.text in {"»", "”", '"'})
        ):
            tok.is_sent_start = False
    return doc


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Oui.",
        "Il a dit : « Non. Jamais. » Puis il est parti.\n\nLe lendemain, rien.",
        '« Nous verrons », a-t-elle ajouté. "Rien de plus" (sic). Fin',
        "Titre : « citation ouverte\nSuite du texte. Encore » ici.",
        "  \n  Deux lignes\u00a0; puis « une “autre” citation » et ) , fin…",
    ],
)
def test_line_breaks_matches_reference(text):
    nlp = load_model()
    fast, slow = nlp.make_doc(text), nlp.make_doc(text)
    line_breaks(fast)
    _reference_line_breaks(slow)
    assert fast.to_array([SENT_START]).tolist() == slow.to_array([SENT_START]).tolist()


@pytest.mark.parametrize(
    "text",
    [
        "Le chef de l’Eglise catholique enjoint aux catholiques de « ne pas décider ».",
        "Moscou somme Kiev de rendre les armes à Marioupol",
        "Moscou avertit qu'elle considérera les convois comme des cibles légitimes",
        "La Russie expulse des diplomates et menace de rompre ses relations avec l'UE",
        "Poutine a multiplié les menaces contre l'Occident.",
        "L'ultimatum lancé par Moscou aux défenseurs de Marioupol a expiré.",
        "D'après le ministère russe de la défense, l'Ukraine prépare une provocation.",
        "Lavrov : l'Occident « doit cesser » de livrer des armes à Kiev\nIl parlait à Moscou.",
    ],
)
def test_what_the_extractor_now_reads_passes_the_prefilter(pf, text):
    assert pf.keep(text)
