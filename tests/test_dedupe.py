"""Near-duplicate detection of wire rewrites (texts written for this test, not publishers')."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.dedupe import (
    band_keys,
    candidate_threshold,
    exact_fingerprint,
    is_near_duplicate,
    minhash,
    normalise_text,
    shingles,
    signature_from_bytes,
    signature_to_bytes,
    similar,
    text_keys,
)

DISPATCH = (
    "PARIS (AFP) - Le ministre des Affaires étrangères a averti mardi que la France ne resterait "
    "pas « les bras croisés » si les frappes contre les infrastructures civiles se poursuivaient "
    "dans la région, appelant les deux parties à un cessez-le-feu immédiat. S'exprimant devant "
    "l'Assemblée nationale, il a demandé l'ouverture d'un corridor humanitaire et l'envoi sans "
    "délai d'observateurs internationaux. « Nous ne laisserons pas la situation se dégrader "
    "davantage », a-t-il ajouté, précisant que des consultations avaient lieu avec les "
    "partenaires européens et que de nouvelles sanctions étaient à l'étude."
)
REWRITE = (
    "Paris - Le ministre des Affaires étrangères a prévenu mardi que la France ne resterait pas "
    "« les bras croisés » si les frappes visant les infrastructures civiles se poursuivaient dans "
    "la région, et a appelé les deux parties à un cessez-le-feu immédiat. Devant l'Assemblée "
    "nationale, il a réclamé l'ouverture d'un corridor humanitaire et l'envoi sans délai "
    "d'observateurs internationaux. « Nous ne laisserons pas la situation se dégrader "
    "davantage », a-t-il ajouté, en précisant que des consultations avaient lieu avec les "
    "partenaires européens et que de nouvelles sanctions sont à l'étude."
)
UNRELATED = (
    "La saison des vendanges a commencé plus tôt que prévu dans le Bordelais, où les "
    "viticulteurs s'inquiètent de la sécheresse persistante. Les rendements devraient baisser de "
    "près de 20 % cette année, selon la chambre d'agriculture, qui appelle à revoir la gestion "
    "de l'eau dans les exploitations de la région."
)
SAME_TOPIC = (
    "Le ministre des Affaires étrangères s'est rendu mercredi à Bruxelles pour préparer le "
    "sommet européen consacré à l'élargissement de l'Union, un dossier sur lequel Paris reste "
    "prudent. Plusieurs capitales réclament un calendrier précis d'ici à la fin de l'année."
)


def test_normalise_text() -> None:
    assert normalise_text("  L’Élysée a DIT : « Non ! »\n") == "l elysee a dit non"
    assert normalise_text("Cessez-le-feu") == "cessez le feu"


def test_exact_fingerprint_ignores_case_accents_punctuation_markup_spacing() -> None:
    a = exact_fingerprint("Le Premier ministre a démissionné.")
    assert a == exact_fingerprint("le premier  ministre a demissionne")
    assert a == exact_fingerprint("LE PREMIER MINISTRE A DÉMISSIONNÉ !")
    assert a != exact_fingerprint("Le Premier ministre n'a pas démissionné.")
    assert len(a) == 64


def test_light_rewrite_is_a_near_duplicate_unrelated_is_not() -> None:
    a, b = minhash(DISPATCH), minhash(REWRITE)
    assert similar(a, b) >= 0.5 and is_near_duplicate(a, b)
    for other in (UNRELATED, SAME_TOPIC):
        c = minhash(other)
        assert similar(a, c) < 0.2 and not is_near_duplicate(a, c)
    assert set(band_keys(a)) & set(band_keys(b)), "rewrites must share an LSH bucket"
    assert not set(band_keys(a)) & set(band_keys(minhash(UNRELATED)))


def test_signature_is_deterministic_and_serialisable() -> None:
    sig = minhash(DISPATCH)
    assert sig == minhash(DISPATCH) and len(sig) == 128
    assert signature_from_bytes(signature_to_bytes(sig)) == sig
    assert len(band_keys(sig)) == 32 and 0.4 < candidate_threshold() < 0.5
    assert similar(sig, sig) == 1.0


def test_short_and_empty_texts() -> None:
    assert shingles("Deux mots") == {"deux mots"}
    assert shingles("") == set()
    assert similar(minhash(""), minhash("")) == 1.0
    assert similar(minhash("Alerte"), minhash("Démenti")) == 0.0


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_estimate_tracks_true_jaccard(seed: int) -> None:
    rng = random.Random(seed)
    vocab = [f"mot{i}" for i in range(400)]
    common = set(rng.sample(vocab, 60))
    a = common | set(rng.sample(vocab, 30))
    b = common | set(rng.sample(vocab, 30))
    truth = len(a & b) / len(a | b)
    assert abs(similar(minhash(a), minhash(b)) - truth) < 0.2


def test_text_keys_bundle() -> None:
    keys = text_keys(DISPATCH)
    assert keys.exact == exact_fingerprint(DISPATCH)
    assert keys.signature == minhash(DISPATCH) and len(keys.bands) == 32
    other = text_keys(REWRITE)
    assert set(keys.bands) & set(other.bands) and keys.exact != other.exact
