"""The spaCy side: model loading, sentence-boundary repair, and lazy lemmas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy
from spacy.attrs import DEP, IDX, IS_SPACE, ORTH, POS, SENT_START, SPACY
from spacy.language import Language
from spacy.parts_of_speech import SPACE as SPACE_POS
from spacy.tokens import Doc, Span, Token

from .embeddings import cache_embeddings
from .parts import MAX_CHARS, cut
from .quotes import QUOTE_CHARS, find_quotes

LAZY_PIPES = ("lemmatizer", "ner", "attribute_ruler")


SENT_END = {".", "!", "?", "…", "...", "»", "”", '"', ")"}
NO_START = {",", "»", "”", ")"}
CLOSING = {"»", "”", '"'}

# what the sentence-boundary rules ask of a token's text, as bits cached by orth id: the
# rules then run on integers instead of building a Token and its strings for every word
_NL, _SPACE, _END, _LOWER, _NO_START, _CLOSING, _QUOTE, _KNOWN = (1 << k for k in range(8))
_FLAGS: dict[int, int] = {}


def _text_flags(orth: int, text: str) -> int:
    f = _KNOWN
    f |= _NL if "\n" in text else 0
    f |= _SPACE if text.isspace() else 0  # Token.is_space
    f |= _END if text in SENT_END else 0
    f |= _LOWER if text[:1].islower() else 0
    f |= _NO_START if text in NO_START else 0
    f |= _CLOSING if text in CLOSING else 0
    f |= _QUOTE if any(c in QUOTE_CHARS for c in text) else 0
    if len(_FLAGS) > 500_000:
        _FLAGS.clear()
    _FLAGS[orth] = f
    return f


@Language.component("veille_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """Line breaks end sentences; quotations and mid-clause words never start one."""
    n = len(doc)
    if n < 2:
        return doc
    arr = doc.to_array([ORTH, IDX, SENT_START, SPACY])
    orths: list[int] = arr[:, 0].tolist()
    strings = doc.vocab.strings
    flags = [_FLAGS.get(o) or _text_flags(o, strings[o]) for o in orths]
    quotes = None
    if any(f & _QUOTE for f in flags):  # else no quotation in the text either
        # Doc.text builds a Token per word: join the strings instead
        text = "".join(
            [
                strings[o] + " " if sp else strings[o]
                for o, sp in zip(orths, arr[:, 3].tolist(), strict=True)
            ]
        )
        quotes = find_quotes(text)
    idxs: list[int] = arr[:, 1].tolist()
    starts: list[int] = arr[:, 2].view(numpy.int64).tolist()  # -1: not a start
    prev = flags[0]
    for i in range(1, n):
        f = flags[i]
        if prev & _NL:
            starts[i] = 1
        elif not f & _SPACE and (
            f & (_LOWER | _NO_START)
            or not prev & (_END | _SPACE)
            or (
                quotes is not None
                and (
                    quotes.inside(idxs[i])
                    or (f & _CLOSING and quotes.containing(idxs[i] - 1) is not None)
                )
            )
        ):
            starts[i] = -1
        prev = f
    column: Any = numpy.array(starts, dtype=numpy.int64).view(numpy.uint64).reshape(n, 1)
    doc.from_array([SENT_START], column)
    return doc


_MODELS: dict[str, Language] = {}


def load_model(name: str = "fr_core_news_md") -> Language:
    """Load the spaCy model once per process; the caller hands it to `Extractor`."""
    if name not in _MODELS:
        import spacy

        nlp = spacy.load(name)
        ensure_line_breaks(nlp)
        use_numpy_blas(nlp)
        cache_tokens(nlp)
        cache_embeddings(nlp)
        _MODELS[name] = nlp
    return _MODELS[name]


def use_numpy_blas(nlp: Language, enabled: bool = True) -> None:
    """Run the model's matrix products on numpy's BLAS, one thread per process.

    spaCy's default, the `blis` wheel, ran the products about 3x slower than numpy's
    OpenBLAS on the machine we measured (bench/bench_extract.py --blas prints both); the
    results are the same statements. One thread, because parallelism comes from worker
    processes (Celery concurrency), not from threads fighting over the same cores."""
    from thinc.api import Model, NumpyOps
    from threadpoolctl import threadpool_limits

    if enabled:
        threadpool_limits(limits=1, user_api="blas")
    ops = NumpyOps(use_blis=not enabled)
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if isinstance(model, Model):
            for node in model.walk():
                node.ops = ops


# the tokenizer's special cases for a bare whitespace chunk say only what it would do anyway
WHITESPACE_RULES = (" ", "\n", "\t")


# each tokenizer's rules and cache size as spaCy shipped them, by id, for `enabled=False`
_SHIPPED_TOKENIZERS: dict[int, tuple[dict[str, Any], int]] = {}


def cache_tokens(nlp: Language, enabled: bool = True, size: int = 200_000) -> None:
    """Let spaCy's tokenizer cache work on news text: same tokens, about 6x faster.

    The tokenizer caches how it split each whitespace-separated chunk, but stops caching for
    the rest of a text once a special case has matched, and the line break between a title
    and its description is one; its cache also stops growing at 10,000 chunks. Without the
    whitespace rules (each maps a chunk to itself) and with room for a news vocabulary, the
    chunks are split once per process instead of once per text. `enabled=False` puts back
    what spaCy shipped (the benchmark's plain side); either way a change empties the cache."""
    tok = nlp.tokenizer
    if not hasattr(tok, "rules") or not hasattr(tok, "max_cache_size"):
        return  # a custom tokenizer: leave it alone
    rules, shipped_size = _SHIPPED_TOKENIZERS.setdefault(
        id(tok), (dict(tok.rules or {}), tok.max_cache_size)
    )
    opened = not any(k in (tok.rules or {}) for k in WHITESPACE_RULES)
    if enabled:
        if not opened and any(k in rules for k in WHITESPACE_RULES):
            tok.rules = {k: v for k, v in rules.items() if k not in WHITESPACE_RULES}
        tok.max_cache_size = max(shipped_size, size)
    else:
        if opened and any(k in rules for k in WHITESPACE_RULES):
            tok.rules = rules
        tok.max_cache_size = shipped_size


def ensure_line_breaks(nlp: Language) -> None:
    if "veille_line_breaks" not in nlp.pipe_names:
        before = "parser" if "parser" in nlp.pipe_names else None
        nlp.add_pipe("veille_line_breaks", before=before) if before else nlp.add_pipe(
            "veille_line_breaks", first=True
        )


def check_text(text: object) -> str:
    """The text the extractor reads: a str, cut at `MAX_CHARS` (callers that report the cut
    call `parts.cut` first); a 2 MB description is read as far as the cap, never refused."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, not {type(text).__name__}")
    return cut(text, MAX_CHARS)[0]


# no-break and thin spaces (French typography: `«\xa0Otan\xa0»`, `direct\xa0:`) become tokens of
# their own, mid-sentence, that the model never saw in training and that derail its parse
_PLAIN_SPACES = str.maketrans({c: " " for c in "\xa0\u202f\u2007\u2009\u200a\u2008"})


def for_model(text: str) -> str:
    """The text the model parses: typographic spaces made plain, one character for one, so
    every offset into the parse is an offset into the original text."""
    return text.translate(_PLAIN_SPACES)


def as_date(published: date | datetime | None) -> date | None:
    if isinstance(published, datetime):
        return published.date()
    return published


_state: dict[str, object] = {"pipe": None}
_cache: dict[tuple[int, int], str] = {}


def use_pipeline(nlp: Language) -> None:
    """Remember the pipeline's lemmatizer so lemmas can be computed on demand."""
    if "lemmatizer" in nlp.pipe_names:
        pipe = nlp.get_pipe("lemmatizer")
        _index_as_sets(pipe)
        _state["pipe"] = pipe


def _index_as_sets(pipe: object) -> None:
    """The French rule lemmatizer tests membership in word lists of up to 66,000 entries;
    as sets the same answers cost a hash instead of a scan (lemmas are unchanged)."""
    lookups = getattr(pipe, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return
    table = lookups.get_table("lemma_index")
    for key, words in list(table.items()):
        if isinstance(words, list):
            table[key] = frozenset(words)


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


def sent_of(v: Token) -> Span:
    """The sentence of a token, from a per-doc table (Token.sent rescans the doc each time)."""
    table = v.doc.user_data.get("veille_sents")
    if table is None or len(table) != len(v.doc):
        table = []
        for s in v.doc.sents:
            table.extend([s] * len(s))
        v.doc.user_data["veille_sents"] = table
    return table[v.i]


def ruler_space_attrs(doc: Doc) -> Doc:
    """What the model's `attribute_ruler` sets that the extractor reads, without running it:
    whitespace tokens get POS `SPACE`, no morphology and, when parsed, the label `dep`; a
    non-space token tagged `SPACE` becomes `X`. (Its other rules copy POS into TAG, unused.)"""
    arr = doc.to_array([IS_SPACE, POS, DEP])
    space = arr[:, 0] == 1
    dep = arr[:, 2]
    bad_dep = space & (dep != 0) & (dep != numpy.uint64(doc.vocab.strings.add("dep")))
    bad_pos = space & (arr[:, 1] != SPACE_POS)
    not_space = ~space & (arr[:, 1] == SPACE_POS)
    for i in numpy.flatnonzero(bad_dep | bad_pos | not_space).tolist():
        tok = doc[i]
        if tok.is_space:
            if tok.dep != 0:
                tok.dep_ = "dep"
            tok.pos_ = "SPACE"
        else:
            tok.pos_ = "X"
        tok.set_morph("_")  # type: ignore[attr-defined]  # missing from spaCy's stubs
    return doc
