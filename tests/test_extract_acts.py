"""The act of a statement read from what is said, not from the reporting verb alone.

Sentences written for these tests, one construction each: a neutral cue that reports a demand
or a warning, a lemma with several senses, promises that threaten, acts done to each other."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.extract import Extractor  # noqa: E402
from worker.extract.lexicon import load_lexicon  # noqa: E402

NB = "\u00a0"


@pytest.fixture
def ex(extractor: Extractor) -> Extractor:
    """The session's extractor (conftest), under this module's short name."""
    return extractor


def acts(ex: Extractor, text: str) -> list[tuple[str | None, str, tuple[str, ...]]]:
    return [(s.speaker_actor, s.type, s.targets) for s in ex.extract(text)]


# --- a neutral cue reports a demand --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Le Kremlin a déclaré que l'Otan devait retirer ses troupes de Roumanie.",
        "« Il faut que Moscou retire ses soldats », a affirmé le chef de l'Otan.",
        "Selon le Kremlin, il est temps que l'Otan renonce à s'étendre vers l'est.",
        "Une désescalade n'est possible que si la Russie retire ses troupes, a estimé Berlin.",
        "« Retirez vos troupes », a dit Jens Stoltenberg à la Russie.",
    ],
)
def test_a_neutral_cue_that_reports_an_obligation_is_a_demand(ex, text):
    assert [t for _, t, _ in acts(ex, text)] == ["demand"]


@pytest.mark.parametrize(
    "text",
    [
        "« La Russie paiera le prix fort si elle attaque », a déclaré Joe Biden.",
        "« Nous ne resterons pas les bras croisés », a affirmé le Kremlin à propos de l'Otan.",
        "« Moscou devra rendre des comptes », a dit le secrétaire général de l'Otan.",
    ],
)
def test_a_neutral_cue_that_reports_a_cost_is_a_warning(ex, text):
    assert [t for _, t, _ in acts(ex, text)] == ["warning"]


def test_a_condition_needs_its_negation(ex):
    feared = acts(ex, "Les experts ont estimé que si les prix montent, les ménages souffriront.")
    assert all(t != "demand" for _, t, _ in feared)


def test_a_plain_assessment_stays_a_statement(ex):
    text = "Le Kremlin a déclaré que les pourparlers avec l'Otan se poursuivraient mardi."
    assert [t for _, t, _ in acts(ex, text)] == ["statement"]


# --- one lemma, several senses -------------------------------------------------------------


def test_claiming_a_capture_is_a_statement_claiming_rights_a_demand(ex):
    claim = acts(ex, "Moscou revendique la prise de la ville de Koupiansk.")
    rights = acts(ex, "Les mineurs grévistes revendiquent des droits nouveaux.")
    assert [t for _, t, _ in claim] == ["statement"]
    assert [t for _, t, _ in rights] == ["demand"]


def test_ordering_ones_own_withdrawal_is_no_demand(ex):
    sts = acts(ex, "Vladimir Poutine a ordonné le retrait de ses troupes de la frontière.")
    assert all(t != "demand" for _, t, _ in sts)


def test_preventing_a_thing_is_no_speech_but_warning_someone_is(ex):
    assert acts(ex, "L'Otan veut prévenir une escalade en mer Baltique.") == []
    warned = acts(ex, "Le Kremlin a prévenu que l'Otan paierait ses livraisons d'armes.")
    assert [t for _, t, _ in warned] == ["warning"]
    inner = acts(ex, "Les alliés de l'Otan se sont engagés à prévenir la dissémination d'armes.")
    assert all(t != "warning" for _, t, _ in inner)


def test_senses_are_data_a_user_extends(tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text('[senses."réclamer"]\nstatement = ["paternité"]\n', encoding="utf-8")
    lex = load_lexicon([extra])
    assert lex.senses["réclamer"]["paternité"] == "statement"
    assert lex.senses["revendiquer"]["prise"] == "statement"
    bad = tmp_path / "bad.toml"
    bad.write_text('[senses."réclamer"]\nthreat = ["prise"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="threat"):
        load_lexicon([bad])


# --- promises that threaten --------------------------------------------------------------


def test_promising_to_call_to_account_is_a_warning(ex):
    sts = acts(ex, f"Le G7 a promis de «{NB}demander des comptes{NB}» à Vladimir Poutine.")
    assert sts == [("G7", "warning", ("RUS",))]


def test_promising_help_stays_an_offer(ex):
    sts = acts(ex, "Joe Biden a promis d'envoyer des vivres et des médicaments à l'Ukraine.")
    assert [t for _, t, _ in sts] == ["offer"]


# --- acts done to each other and quoted cue words ----------------------------------------


def test_mutual_accusations_target_each_other(ex):
    sts = acts(ex, "Kiev et Moscou s'accusent mutuellement de bombarder la centrale.")
    assert sorted(sts) == [("RUS", "accusation", ("UKR",)), ("UKR", "accusation", ("RUS",))]
    shifted = acts(ex, "Pénurie de gaz : les Occidentaux et Moscou se renvoient la responsabilité")
    assert sorted(shifted) == [
        ("RUS", "accusation", ("WEST",)),
        ("WEST", "accusation", ("RUS",)),
    ]


def test_a_quoted_cue_word_is_still_the_cue(ex):
    sts = acts(ex, f"L'Otan «{NB}exige{NB}» le retrait des troupes russes.")
    assert [(a, t) for a, t, _ in sts] == [("NATO", "demand")]


def test_wishing_that_someone_acts_is_a_demand(ex):
    sts = acts(ex, "Le président américain souhaite que Moscou libère les prisonniers.")
    assert sts == [("USA", "demand", ("RUS",))]


# --- acts carried by nouns and locutions --------------------------------------------------


def test_a_warning_carried_by_a_noun(ex):
    verb = acts(ex, "Moscou a adressé une mise en garde sévère à Riga.")
    assert verb == [("RUS", "warning", ("LVA",))]
    noun = acts(ex, "Une mise en garde sévère adressée à Riga par Moscou a surpris les Baltes.")
    assert noun == [("RUS", "warning", ("LVA",))]


def test_reminding_someone_of_their_obligations_is_a_demand(ex):
    sts = acts(ex, "Le chef de l'ONU a rappelé aux belligérants leurs obligations.")
    assert [(a, t) for a, t, _ in sts] == [("UN", "demand")]


# --- content: what was said, whole -------------------------------------------------------


def test_content_is_the_whole_complement_with_its_quotations(ex):
    (st,) = ex.extract(f"Le Kremlin a menacé de «{NB}frapper Kiev{NB}» si l'Ukraine attaquait.")
    assert st.content == f"de «{NB}frapper Kiev{NB}» si l'Ukraine attaquait"
    (st,) = ex.extract("Lavrov a déclaré que la Russie était prête à discuter avec l'Otan.")
    assert st.content == "que la Russie était prête à discuter avec l'Otan"
    (st,) = ex.extract("Sergueï Lavrov a réclamé mardi des réponses des Occidentaux.")
    assert st.content == "des réponses des Occidentaux"  # the day is not what was said


def test_content_after_a_quotation_is_the_quotation(ex):
    (st,) = ex.extract(
        f"«{NB}Nous sommes prêts{NB}», a déclaré Sergueï Lavrov lors d'un point presse."
    )
    assert st.content == f"«{NB}Nous sommes prêts{NB}»"
    (st,) = ex.extract(
        f"«{NB}Nous adressons un message clair à la Russie{NB}», a averti mardi à Berlin le "
        "secrétaire général de l'Otan, Jens Stoltenberg."
    )
    assert st.content == f"«{NB}Nous adressons un message clair à la Russie{NB}»"


def test_coordinated_cues_keep_their_own_complements(ex):
    sts = ex.extract(
        f"Le G7 a dénoncé «{NB}le soutien{NB}» de Minsk et promis de «{NB}demander des "
        f"comptes{NB}» à Vladimir Poutine."
    )
    promise = next(s for s in sts if s.cue == "promis")
    assert promise.content == f"de «{NB}demander des comptes{NB}» à Vladimir Poutine"
    assert (promise.type, promise.targets) == ("warning", ("RUS",))


def test_content_is_the_complement_not_an_earlier_quotation(ex):
    text = (
        f"Mer Noire : le croiseur «{NB}Moskva{NB}» a été coulé ; la Russie menace de "
        "bombarder à nouveau Kiev"
    )
    (st,) = [s for s in ex.extract(text) if s.cue == "menace"]
    assert st.content == "de bombarder à nouveau Kiev"
    intro = ex.extract(
        "Irrité par la demande de la Finlande, Moscou prévient que la tension montera."
    )
    assert [s.content for s in intro if s.cue == "prévient"] == ["que la tension montera"]


# --- what is no warning ------------------------------------------------------------------


def test_questioning_and_justifying_report_without_warning(ex):
    asked = acts(ex, "L'Allemagne s'interroge sur l'escalade agressive de Vladimir Poutine.")
    assert [t for _, t, _ in asked] == ["statement"]
    justified = acts(
        ex, "Vladimir Poutine a justifié l'offensive lors du défilé de la seconde guerre mondiale."
    )
    assert [t for _, t, _ in justified] == ["statement"]


def test_a_threatening_adjective_or_a_danger_is_no_speech(ex):
    assert (
        acts(ex, "Son attitude relève d'un délire destructeur, menaçant l'Ukraine et l'Europe.")
        == []
    )
    gerund = acts(ex, "En menaçant l'Ukraine, Moscou met les Européens au défi de réagir.")
    assert ("RUS", "warning", ("UKR",)) in gerund
    danger = acts(
        ex, "Vilnius ne doit pas céder sous la menace directe de la Russie, estime le député."
    )
    assert all(t != "warning" for _, t, _ in danger)


def test_someone_elses_allies_are_not_nato(ex):
    text = (
        "Sous la pression d'un ultimatum de ses alliés, la première ministre a convoqué des "
        "élections, alors que l'Otan se réunit."
    )
    assert all(a != "NATO" for a, _, _ in acts(ex, text))


def test_words_of_another_speaker_in_a_clause_are_not_the_cues(ex):
    text = (
        f"Kiev a salué «{NB}le soutien{NB}» de Washington, après que le président américain a "
        f"assuré «{NB}que les Etats-Unis répondront si la Russie attaque{NB}»."
    )
    sts = acts(ex, text)
    assert ("UKR", "statement", ()) in sts
    assert ("USA", "warning", ("RUS",)) in sts


def test_a_possibility_under_a_condition_is_no_warning(ex):
    text = (
        "L'économiste affirme que l'embargo serait possible si les pays coordonnaient leurs achats."
    )
    assert [t for _, t, _ in acts(ex, text)] == ["statement"]


def test_claims_read_through_misparses_and_relatives(ex):
    late = acts(ex, "Moscou a revendiqué, vendredi, la prise de la totalité de la ville.")
    assert [t for _, t, _ in late] == ["statement"]
    relative = acts(
        ex, "Kiev conteste le contrôle de Kherson par la Russie, revendiqué par Moscou."
    )
    assert all(t != "demand" for _, t, _ in relative)


def test_a_nested_cue_of_another_speaker_keeps_its_act_to_itself(ex):
    text = (
        f"Le président ukrainien a salué «{NB}le soutien{NB}» de Washington, après que le "
        f"président américain a assuré «{NB}que les Etats-Unis répondront énergiquement si la "
        f"Russie attaque{NB}»."
    )
    sts = acts(ex, text)
    assert ("UKR", "statement", ()) in sts
    assert ("USA", "warning", ("RUS",)) in sts


def test_a_recommendation_or_a_stated_need_is_a_demand(ex):
    rec = acts(ex, "Bruxelles recommande d'accorder à la Moldavie le statut de candidat.")
    assert [(a, t) for a, t, _ in rec] == [("EU", "demand")]
    need = acts(ex, "« L'Ukraine a besoin de défense aérienne », a déclaré Volodymyr Zelensky.")
    assert [(a, t) for a, t, _ in need] == [("UKR", "demand")]


def test_idioms_of_measure_and_forecasts_are_no_obligation(ex):
    for text in (
        "« Aussi longtemps qu'il le faudra », selon Joe Biden.",
        "Viktor Orban estime que nous allons devoir affronter une grave crise.",
        "Le prévenu avait plaidé coupable en septembre.",
    ):
        assert all(t != "demand" for _, t, _ in acts(ex, text)), text


def test_the_one_who_must_act_in_a_quoted_obligation(ex):
    text = f"«{NB}Il faut que Moscou retire ses soldats{NB}», a affirmé le chef de l'Otan."
    assert acts(ex, text) == [("NATO", "demand", ("RUS",))]


def test_an_obligation_reported_in_the_past_is_still_one(ex):
    text = "Le secrétaire général de l'Otan a affirmé qu'il fallait que Moscou cesse ses manœuvres."
    assert acts(ex, text) == [("NATO", "demand", ("RUS",))]


def test_an_elided_phrase_of_the_lexicon_runs_into_the_next_word(ex):
    text = "Le secrétaire général de l'Otan a insisté sur la nécessité d'un cessez-le-feu."
    assert [(a, t) for a, t, _ in acts(ex, text)] == [("NATO", "demand")]


def test_asking_for_more_is_not_a_negation_and_reports_what_follows(ex):
    text = (
        "Exactions à Boutcha : l'Otan dénonce les « atrocités commises par l’armée russe » "
        "et réclame plus de sanctions"
    )
    out = ex.extract(text)
    assert [(s.speaker_actor, s.type) for s in out] == [("NATO", "accusation"), ("NATO", "demand")]
    assert out[1].content == "plus de sanctions"
    assert [t for _, t, _ in acts(ex, "Moscou n'exige plus le départ des troupes.")] == [
        "statement"
    ]


def test_the_hour_has_come_for_someone_to_act(ex):
    text = "« L’heure est venue pour les Etats-Unis de défendre Taïwan », a déclaré Shinzo Abe."
    assert acts(ex, text) == [(None, "demand", ("USA",))]


def test_applying_for_asylum_or_apologising_is_no_demand(ex):
    for text in (
        "En 2021, plus de 2100 Ukrainiens ont demandé l’asile en France.",
        "Le ministre a demandé pardon aux victimes.",
    ):
        assert all(t != "demand" for _, t, _ in acts(ex, text)), text


def test_a_neutral_verb_over_ones_own_act_is_that_act(ex):
    cases = {
        "Angela Merkel assume son refus d’accueillir l’Ukraine dans l’OTAN.": "rejection",
        "L’Allemagne s’est prononcée contre le lancement du processus d’adhésion.": "rejection",
        "Le Kremlin réaffirme sa demande de garanties de sécurité.": "demand",
    }
    for text, type_ in cases.items():
        assert [t for _, t, _ in acts(ex, text)] == [type_], text
    # someone else's act is reported, not performed (it is Kiev's refusal, not the Kremlin's)
    assert ("RUS", "rejection") not in [
        (a, t) for a, t, _ in acts(ex, "Le Kremlin commente le refus de Kiev.")
    ]


@pytest.mark.parametrize(
    ("said", "type_"),
    [
        ("Nous riposterons", "warning"),  # a future the tagger reads as an adjective
        ("Les conséquences seront terribles pour Moscou", "warning"),
        ("L'Otan mène une guerre par procuration contre la Russie", "accusation"),
        ("Moscou ment", "accusation"),
        ("Les Occidentaux sont responsables de cette crise", "accusation"),
    ],
)
def test_what_a_neutral_cue_reports_threatens_or_blames(ex, said, type_):
    assert [t for _, t, _ in acts(ex, f"« {said} », a déclaré Sergueï Lavrov.")] == [type_]


def test_consequences_spoken_of_are_no_warning(ex):
    text = "« Qui est responsable des conséquences économiques de la crise ? », a demandé Borrell."
    assert "warning" not in [t for _, t, _ in acts(ex, text)]


def test_calling_someone_to_a_place_is_no_call_to_act(ex):
    assert acts(ex, "Le Kremlin a appelé son nouvel ambassadeur à Washington.") == []
    assert [t for _, t, _ in acts(ex, "Le Kremlin a appelé Washington à la retenue.")] == ["demand"]


def test_raising_the_cost_for_someone_warns_them(ex):
    text = "« Le prix à payer sera immense pour Moscou », a déclaré Joe Biden."
    assert acts(ex, text) == [("USA", "warning", ("RUS",))]
    text = "« Nous allons rendre insoutenable le coût de cette guerre », a déclaré Joe Biden."
    assert [t for _, t, _ in acts(ex, text)] == ["warning"]


def test_a_present_participle_claims_by_its_own_object(ex):
    text = "Vladimir Poutine signe un décret revendiquant l’annexion de la centrale de Zaporijia"
    assert [t for _, t, _ in acts(ex, text)] == ["statement"]


def test_a_promise_not_to_tolerate_warns(ex):
    text = "« Nous ne tolérerons pas une telle provocation », a déclaré Dmitri Peskov."
    assert [t for _, t, _ in acts(ex, text)] == ["warning"]


def test_consequences_an_act_will_have_warn(ex):
    text = "« Une adhésion de la Finlande aurait des conséquences », a déclaré Dmitri Peskov."
    assert acts(ex, text) == [("RUS", "warning", ("FIN",))]
    text = "« Les sanctions ont eu des conséquences sur notre économie », a dit Sergueï Lavrov."
    assert [t for _, t, _ in acts(ex, text)] == ["statement"]
