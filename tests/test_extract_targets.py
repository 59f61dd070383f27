"""Who speaks and who is addressed: coordinated and controlled subjects, the one who must
act on a demand, allies, and titles. Sentences written for these tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.extract import Extractor  # noqa: E402

NB = "\u00a0"


@pytest.fixture
def ex(extractor: Extractor) -> Extractor:
    """The session's extractor (conftest), under this module's short name."""
    return extractor


def acts(ex: Extractor, text: str) -> list[tuple[str | None, str, tuple[str, ...]]]:
    return sorted((s.speaker_actor or "", s.type, s.targets) for s in ex.extract(text))


# --- speakers ----------------------------------------------------------------------------


def test_both_states_of_a_coordinated_subject_in_a_title_speak(ex):
    sts = acts(ex, "Crise dans le Nord : la Norvège et le Danemark demandent à rejoindre l'Otan")
    assert sts == [("DNK", "demand", ("NATO",)), ("NOR", "demand", ("NATO",))]


def test_the_object_of_a_causing_verb_is_who_asks(ex):
    text = "La menace russe a poussé Stockholm à demander son adhésion à l'Otan."
    assert acts(ex, text) == [("SWE", "demand", ("NATO",))]


def test_a_plural_conjunct_belongs_to_the_plural_subject(ex):
    text = (
        "Les Occidentaux redoutent que la Russie attaque la Moldavie et menacent Moscou "
        f"de «{NB}sanctions massives{NB}»."
    )
    assert acts(ex, text) == [("WEST", "warning", ("RUS",))]


def test_an_organ_of_an_organisation_speaks_for_it(ex):
    text = "Le Conseil des droits de l'homme de l'ONU réclame une enquête à la Russie."
    assert acts(ex, text) == [("UN", "demand", ("RUS",))]


# --- whom a demand addresses -------------------------------------------------------------


def test_a_request_for_help_addresses_the_helper(ex):
    text = "Le gouverneur de la région a demandé l'aide de Moscou pour évacuer les habitants."
    assert [t for _, _, t in acts(ex, text)] == [("RUS",)]


def test_a_demand_for_something_from_someone_addresses_them(ex):
    text = "L'Assemblée générale de l'ONU réclame à nouveau un retrait de la Russie."
    assert acts(ex, text) == [("UN", "demand", ("RUS",))]


# --- allies and the accused --------------------------------------------------------------


def test_their_allies_are_nato_after_a_member_and_the_west_after_kiev(ex):
    nato = acts(ex, "Le Kremlin accuse Londres et ses alliés de préparer une provocation.")
    assert nato == [("RUS", "accusation", ("GBR", "NATO"))]
    west = acts(ex, "Moscou a accusé Kiev et ses alliés occidentaux de saboter les pourparlers.")
    assert west == [("RUS", "accusation", ("UKR", "WEST"))]


def test_a_denounced_act_aims_at_whom_the_sentence_names(ex):
    text = f"Kiev dénonce une «{NB}mascarade{NB}», au lendemain du verdict d'un tribunal de Moscou."
    assert acts(ex, text) == [("UKR", "accusation", ("RUS",))]


# --- titles ------------------------------------------------------------------------------


def test_a_title_with_name_office_and_colon_is_a_quotation_of_that_person(ex):
    text = (
        f"Petteri Orpo, premier ministre finlandais{NB}: «{NB}Nous ne céderons pas au "
        f"chantage{NB}»\nLe chef du gouvernement a répondu aux menaces de Moscou."
    )
    sts = [s for s in ex.extract(text) if s.cue == ":"]
    assert [(s.speaker, s.speaker_actor) for s in sts] == [("Petteri Orpo", "FIN")]


def test_a_name_and_colon_title_is_said_by_the_person_the_next_lines_name(ex):
    text = (
        "Kallas: l'Union ne reconnaîtra jamais l'annexion de la Crimée\n\n"
        "Kaja Kallas a déclaré jeudi que l'Union restait unie face à la Russie."
    )
    sts = [s for s in ex.extract(text) if s.cue == ":"]
    assert [(s.speaker, s.type) for s in sts] == [("Kaja Kallas", "rejection")]


# --- speech nouns and plural pronouns ----------------------------------------------------


def test_a_speech_noun_with_its_content_has_an_author(ex):
    adj = ex.extract(
        f"Kiev conteste l'affirmation russe selon laquelle le pont serait «{NB}neutre{NB}»."
    )
    assert ("Russie", "RUS") in [(s.speaker, s.speaker_actor) for s in adj]
    de = ex.extract("La déclaration de Joe Biden selon laquelle l'aide sera votée a surpris.")
    assert [(s.speaker, s.cue) for s in de] == [("Joe Biden", "déclaration")]
    assert ex.extract("La déclaration de guerre a surpris les diplomates.") == []


def test_a_plural_pronoun_after_coordinated_speakers_is_both_of_them(ex):
    text = (
        "Sergueï Lavrov et Antony Blinken se sont parlé jeudi à Genève. "
        f"«{NB}Un dialogue raisonnable est nécessaire{NB}», ont-ils souligné."
    )
    assert sorted(s.speaker_actor for s in ex.extract(text)) == ["RUS", "USA"]


def test_coordinated_subject_before_a_negated_auxiliary(ex):
    text = (
        "Liés à Moscou par leur histoire, la Grèce et Chypre n'ont pourtant pas hésité à "
        "condamner l'offensive russe."
    )
    assert sorted(a for a, _, _ in acts(ex, text)) == ["CYP", "GRC"]


def test_hoping_presenting_and_speaking_of_are_statements(ex):
    for text in (
        "La Turquie espère jouer de sa position entre les deux parties.",
        "Le candidat présente la Russie comme une puissance défensive.",
        f"La directrice du FMI parle de «{NB}vents contraires{NB}» en Chine.",
    ):
        assert [t for _, t, _ in acts(ex, text)] == ["statement"], text
    assert acts(ex, "Emmanuel Macron a parlé avec Olaf Scholz mardi.") == []


def test_each_news_of_a_live_title_has_its_own_speaker_and_content(ex):
    text = (
        "Guerre en Ukraine en direct : Antony Blinken accuse la Russie d'actes "
        f"«{NB}épouvantables{NB}» ; Vladimir Poutine «{NB}pas pressé{NB}» de négocier\n"
        "Les combats continuent dans l'Est."
    )
    sts = {s.speaker: s for s in ex.extract(text)}
    assert sts["Antony Blinken"].content == f"la Russie d'actes «{NB}épouvantables{NB}»"
    assert sts["Vladimir Poutine"].speaker_actor == "RUS"


def test_a_document_speaks_for_its_author(ex):
    text = "Le communiqué publié jeudi au journal officiel de l'UE l'accuse de comploter."
    assert [(a, t) for a, t, _ in acts(ex, text)] == [("EU", "accusation")]
    sel = acts(ex, "Quatre millions de personnes pourraient partir, selon les prévisions de l'ONU.")
    assert [a for a, _, _ in sel] == ["UN"]


def test_an_inverted_subject_after_comme_stays_the_speaker(ex):
    sts = ex.extract("Macron a parlé à Joe Biden mardi, comme le révèle Reuters.")
    assert [s.speaker for s in sts] == ["Reuters"]


def test_coordinated_nationalities_are_one_speaker_each(ex):
    text = "Des responsables américains et britanniques ont lancé des appels à la retenue."
    assert sorted(a for a, _, _ in acts(ex, text)) == ["GBR", "USA"]


def test_promising_something_is_an_offer_even_without_a_clause(ex):
    sts = acts(
        ex, "Le président Volodymyr Zelensky appelle les citoyens à se battre et promet des armes"
    )
    assert ("UKR", "offer", ()) in sts


def test_a_call_on_both_sides_targets_the_sides_the_text_names(extractor):
    cases = {
        "Le président français a appelé toutes les parties à la retenue, alors que la Russie "
        "et l'Ukraine s'accusent mutuellement.": ("RUS", "UKR"),
        "Les combats entre l'Arménie et l'Azerbaïdjan ont repris. L'ONU a appelé les deux "
        "camps à cesser le feu.": ("ARM", "AZE"),
        "L'Union européenne appelle à la désescalade entre la Russie et l'Ukraine.": (
            "RUS",
            "UKR",
        ),
        "Tensions entre la Serbie et le Kosovo : l'Otan appelle à la « retenue »": ("SRB", "XKX"),
    }
    for text, sides in cases.items():
        demands = [s for s in extractor.extract(text) if s.type == "demand"]
        assert [set(s.targets) for s in demands] == [set(sides)], text


def test_a_call_for_restraint_with_no_sides_named_has_no_target(extractor):
    [s] = extractor.extract("L'Otan appelle à la retenue.")
    assert (s.type, s.targets) == ("demand", ())


def test_the_one_who_must_act_named_by_an_adjective_or_as_a_country_addressed(extractor):
    cases = {
        "Poutine réclame la levée des sanctions occidentales.": ("WEST",),
        "L'ONU exige l'arrêt immédiat de l'invasion russe.": ("RUS",),
        "L'Ukraine réclame un « couloir humanitaire » à la Russie.": ("RUS",),
        "Jens Stoltenberg a souligné la nécessité pour la Russie de retirer ses troupes.": ("RUS",),
    }
    for text, targets in cases.items():
        assert [(s.type, s.targets) for s in extractor.extract(text)] == [("demand", targets)], text


def test_a_place_is_still_no_addressee(extractor):
    text = "Le candidat à l'Elysée a réclamé une enquête, à Paris, à l'issue du débat."
    assert all(not s.targets for s in extractor.extract(text))


def test_asking_for_what_only_the_other_side_can_grant_targets_it(extractor):
    text = (
        "Les troupes russes encerclent Marioupol. Moscou intensifie ses frappes sur la ville. "
        "L'Ukraine réclame un couloir humanitaire d'urgence."
    )
    demands = [s for s in extractor.extract(text) if s.type == "demand"]
    assert [(s.speaker_actor, s.targets) for s in demands] == [("UKR", ("RUS",))]


def test_an_obligation_on_us_targets_the_speakers_own_side(extractor):
    text = (
        "« Nous devons nous préparer à cette option », a estimé le ministre français des finances."
    )
    assert [(s.speaker_actor, s.type, s.targets) for s in extractor.extract(text)] == [
        ("FRA", "demand", ("FRA",))
    ]


def test_an_office_names_its_holder_in_the_year_an_undated_text_names(extractor):
    for when, holder in (("juin 2023", "James Cleverly"), ("mars 2024", "David Cameron")):
        text = (
            f"En {when}, les livraisons ont repris. Cette aide « renforcera l'Ukraine », a "
            "déclaré le chef de la diplomatie britannique."
        )
        assert [s.speaker for s in extractor.extract(text)] == [holder], when


def test_the_doer_of_a_blamed_act_and_a_second_accused_are_targets(extractor):
    [s] = extractor.extract("L'Otan dénonce les frappes russes sur Kiev.")
    assert (s.type, s.targets) == ("accusation", ("RUS",))
    [s] = extractor.extract("Moscou a accusé les Etats-Unis et l'Otan de provocation.")
    assert (s.type, set(s.targets)) == ("accusation", {"USA", "NATO"})


def test_a_pronoun_takes_up_the_subject_opening_the_sentence_before(extractor):
    text = "Jens Stoltenberg a rencontré Sergueï Lavrov. Il lui a demandé de retirer les troupes russes."
    assert [(s.speaker, s.targets) for s in extractor.extract(text)] == [
        ("Jens Stoltenberg", ("RUS",))
    ]


def test_ones_own_allies(extractor):
    [s] = extractor.extract("L'Ukraine a appelé ses alliés à livrer des avions de combat.")
    assert s.targets == ("WEST",)
    [s] = extractor.extract("La Pologne a appelé ses alliés à livrer des chars.")
    assert s.targets == ("NATO",)
