"""A per-process cache of the model's word embeddings: same vectors, computed once per word.

spaCy's `tok2vec` is two stages. The first, `embed`, turns each token into a vector from
its own features alone (hashes of its norm, prefix, suffix and shape, whether a space
follows it, and its static vector), then mixes them through a 672 -> 96 maxout layer; the
second, `encode`, looks at the neighbours. News text repeats its words (206,000 tokens but
18,000 distinct words in a year of Le Monde feed items), so the first stage's output is kept
by word and only the words not seen before go through it.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy
from spacy.attrs import NORM, ORTH, SPACY
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab
from thinc.api import Model

# what the embedding of a token depends on: its word (prefix, suffix, shape, static vector
# and whether it is a space all follow from it), its norm (a tokenizer exception may set
# one), and whether a space follows it; the three are hashed into one integer key
FEATURES = [ORTH, NORM, SPACY]
_MIX = numpy.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 1], dtype=numpy.uint64)


def _keys(features: numpy.ndarray) -> numpy.ndarray:
    with numpy.errstate(over="ignore"):  # multiplication modulo 2**64, as hashes do
        mixed = features * _MIX
    return mixed[:, 0] ^ mixed[:, 1] ^ mixed[:, 2]


class EmbeddingCache:
    """Rows of `embed`'s output by token key, filled on demand, emptied when full."""

    def __init__(self, embed: Model, size: int) -> None:
        self.embed = embed
        self.forward = embed._func
        self.size = size
        self.enabled = True
        self.lock = threading.Lock()
        self._reset()

    def __call__(self, docs: list[Doc]) -> list[Any]:
        """`embed`'s output for each doc, as the uncached layer would give it."""
        if not docs:
            return []
        features = numpy.concatenate([doc.to_array(FEATURES).reshape(-1, 3) for doc in docs])
        keys = _keys(features)
        with self.lock:
            rows = self._lookup(keys)
            missing = rows < 0
            if missing.any():
                if self.used + len(numpy.unique(keys[missing])) > self.size:
                    self._reset()
                    missing[:] = True
                self._add(docs[0].vocab, features[missing], keys[missing])
                rows = self._lookup(keys)
            if not numpy.array_equal(self.features[rows], features):
                # two keys alike by chance (odds of about 1 in 10**9): no cache for this batch
                return self.forward(self.embed, docs, False)[0]  # type: ignore[no-any-return]
            vectors = self.table[rows]
        return numpy.split(vectors, numpy.cumsum([len(doc) for doc in docs[:-1]]))

    def clear(self) -> None:
        """Forget every word (the benchmark starts each run cold)."""
        with self.lock:
            self._reset()

    def _reset(self) -> None:
        width = self.embed.get_dim("nO")
        self.rows: dict[int, int] = {}
        self.used = 0
        self.table = numpy.zeros((0, width), numpy.float32)
        self.features = numpy.zeros((0, 3), numpy.uint64)

    def _lookup(self, keys: numpy.ndarray) -> numpy.ndarray:
        get = self.rows.get
        return numpy.fromiter((get(k, -1) for k in keys.tolist()), numpy.int64, len(keys))

    def _add(self, vocab: Vocab, features: numpy.ndarray, keys: numpy.ndarray) -> None:
        """Run `embed` once over one made-up doc holding one token per new key."""
        keys, first = numpy.unique(keys, return_index=True)
        features = features[first]
        strings = vocab.strings
        words = [strings[orth] for orth in features[:, 0].tolist()]
        doc = Doc(vocab, words=words, spaces=features[:, 2].astype(bool).tolist())
        for tok, norm in zip(doc, features[:, 1].tolist(), strict=True):
            if tok.norm != norm:
                tok.norm_ = strings[norm]
        (vectors,), _ = self.forward(self.embed, [doc], False)
        start, end = self.used, self.used + len(keys)
        if end > len(self.table):  # grow by doubling, up to `size`: few copies
            n = max(end, min(2 * start, self.size), 1024)
            self.table = numpy.resize(self.table, (n, self.table.shape[1]))
            self.features = numpy.resize(self.features, (n, 3))
        self.table[start:end] = self.embed.ops.to_numpy(vectors)
        self.features[start:end] = features
        self.rows.update(zip(keys.tolist(), range(start, end), strict=True))
        self.used = end


def _embed_layer(nlp: Language) -> Model | None:
    if "tok2vec" not in nlp.pipe_names:
        return None
    model = getattr(nlp.get_pipe("tok2vec"), "model", None)
    if not isinstance(model, Model) or not model.has_ref("embed"):
        return None  # not spaCy's Tok2Vec architecture: leave it alone
    return model.get_ref("embed")


def embedding_cache(nlp: Language) -> EmbeddingCache | None:
    """The cache `cache_embeddings` installed on this model, if any."""
    embed = _embed_layer(nlp)
    cache = embed.attrs.get("veille_cache") if embed is not None else None
    return cache if isinstance(cache, EmbeddingCache) else None


def cache_embeddings(nlp: Language, enabled: bool = True, size: int = 100_000) -> None:
    """Let the model's `tok2vec` embed each distinct word once per process, not per token.

    Inference only: a training step (`is_train`) runs the layer as shipped, and so does
    every call after `enabled=False` (the benchmark's plain-spaCy side). `size` caps the words
    kept (96 floats and a key each: 100,000 words are 39 MiB); past it the cache starts over."""
    embed = _embed_layer(nlp)
    if embed is None:
        return
    cache = embedding_cache(nlp)
    if cache is None:
        cache = EmbeddingCache(embed, size)
        embed.attrs["veille_cache"] = cache
        forward = cache.forward

        def cached(model: Model, docs: list[Doc], is_train: bool) -> tuple[Any, Any]:
            if is_train or not cache.enabled:
                return forward(model, docs, is_train)
            return cache(docs), _no_backprop

        embed._func = cached
    cache.enabled = enabled


def _no_backprop(d_out: Any) -> Any:
    raise NotImplementedError("the embedding cache is for inference only")
