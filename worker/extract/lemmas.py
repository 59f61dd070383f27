"""Lazy lemmas: the rule lemmatizer is run only on the few tokens the extractor looks at."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Token

_state: dict[str, object] = {"pipe": None}
_cache: dict[tuple[int, int], str] = {}


def use_pipeline(nlp: Language) -> None:
    """Remember the pipeline's lemmatizer so lemmas can be computed on demand."""
    if "lemmatizer" in nlp.pipe_names:
        _state["pipe"] = nlp.get_pipe("lemmatizer")


def lemma(tok: Token) -> str:
    """The token's lemma: the pipeline's if it ran, else the rule lemmatizer's, cached."""
    if tok.lemma_:
        return tok.lemma_
    key = (tok.orth, tok.pos)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    pipe = _state["pipe"]
    value = tok.lower_
    if pipe is not None:
        try:
            forms = pipe.rule_lemmatize(tok)  # type: ignore[attr-defined]
            value = forms[0] if forms else tok.lower_
        except (KeyError, ValueError, AttributeError):
            value = tok.lower_
    if len(_cache) > 200_000:
        _cache.clear()
    _cache[key] = value
    return value
