"""The word-embedding cache: the model reads the same vectors, each word embedded once."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.extract.embeddings import (  # noqa: E402
    EmbeddingCache,
    cache_embeddings,
    embedding_cache,
)

TEXTS = [
    "L'Otan met en garde la Russie : « Elle devra en payer le prix fort », a averti "
    "Jens Stoltenberg.\nMoscou rejette l'appel à retirer ses troupes.",
    "Sergueï Lavrov exige des réponses écrites sur le non-élargissement de l'Otan.",
    "  Deux  espaces, un\ttab et «\u00a0guillemets\u00a0» : la Russie  répond.  ",
    "",
]


def _embed(nlp):  # type: ignore[no-untyped-def]
    return nlp.get_pipe("tok2vec").model.get_ref("embed")


def test_the_model_loads_with_the_cache_on(nlp):
    """`load_model` installs it: a worker gets it without asking."""
    cache = embedding_cache(nlp)
    assert cache is not None and cache.enabled


def test_parses_are_the_same_with_and_without_the_cache(nlp):
    """Every tag, head and label of the parse is what spaCy's own layer gives: the cached
    vectors are that layer's output, computed for another batch of the same words."""
    cache = embedding_cache(nlp)
    assert cache is not None
    cache.clear()
    cached = [[(t.pos_, t.morph, t.head.i, t.dep_) for t in d] for d in nlp.pipe(TEXTS)]
    cached_again = [[(t.pos_, t.morph, t.head.i, t.dep_) for t in d] for d in nlp.pipe(TEXTS)]
    cache_embeddings(nlp, enabled=False)
    try:
        plain = [[(t.pos_, t.morph, t.head.i, t.dep_) for t in d] for d in nlp.pipe(TEXTS)]
    finally:
        cache_embeddings(nlp, enabled=True)
    assert cached == plain and cached_again == plain


def test_vectors_match_the_layer_and_each_word_is_embedded_once(nlp):
    """Same vectors as the uncached layer to float precision; a word seen twice, in one
    doc or in two, costs one row."""
    embed = _embed(nlp)
    cache = EmbeddingCache(embed, size=1000)
    docs = [nlp.make_doc(t) for t in TEXTS]
    expected = cache.forward(embed, docs, False)[0]
    got = cache(docs)
    assert [g.shape for g in got] == [e.shape for e in expected]
    assert got[-1].shape == (0, embed.get_dim("nO"))  # the empty text
    for g, e in zip(got, expected, strict=True):
        numpy.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    distinct = {(t.orth, t.norm, bool(t.whitespace_)) for d in docs for t in d}
    assert cache.used == len(distinct) < sum(len(d) for d in docs)
    cache(docs)
    assert cache.used == len(distinct)


def test_what_follows_a_word_and_its_norm_are_part_of_its_key(nlp):
    """`Russie` before a space and before a comma, or with a norm of its own, are three
    inputs to the layer: each gets its own vector, never another's."""
    embed = _embed(nlp)
    cache = EmbeddingCache(embed, size=1000)
    doc = nlp.make_doc("Russie, Russie Russie Russie")
    doc[3].norm_ = "moscou"
    got = cache([doc])[0]
    expected = cache.forward(embed, [doc], False)[0][0]
    numpy.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert cache.used == 4  # Russie (no space), `,`, Russie (space), Russie (norm moscou)
    assert not numpy.allclose(got[0], got[2]) and not numpy.allclose(got[2], got[3])
    assert numpy.array_equal(got[0], got[4])


def test_a_full_cache_starts_over_and_stays_right(nlp):
    """Past its size the cache forgets every word and keeps giving the layer's vectors."""
    embed = _embed(nlp)
    cache = EmbeddingCache(embed, size=12)
    for text in TEXTS[:3]:
        doc = nlp.make_doc(text)
        got = cache([doc])[0]
        numpy.testing.assert_allclose(
            got, cache.forward(embed, [doc], False)[0][0], rtol=1e-4, atol=1e-5
        )
        assert cache.used <= max(12, len({(t.orth, t.norm, t.whitespace_) for t in doc}))


def test_training_runs_the_layer_as_shipped(nlp):
    """The cache is for inference: a training step gets the layer's own backprop."""
    embed = _embed(nlp)
    docs = [nlp.make_doc(TEXTS[1])]
    vectors, backprop = embed(docs, is_train=True)
    assert backprop.__name__ != "_no_backprop"
    with pytest.raises(NotImplementedError):
        embed(docs, is_train=False)[1](vectors)


def test_the_table_never_grows_past_the_cache_size(nlp):
    """The memory bound the docs give holds: growth by doubling stops at `size` rows."""
    embed = _embed(nlp)
    cache = EmbeddingCache(embed, size=1500)
    words = [f"mot{i}" for i in range(1400)]
    for k in range(0, 1400, 200):
        cache([nlp.make_doc(" ".join(words[k : k + 200]))])
    assert cache.used > 1024 and len(cache.table) <= 1500
