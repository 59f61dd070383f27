"""The spaCy side: model loading, sentence-boundary repair, and lazy lemmas."""

from __future__ import annotations

from datetime import date, datetime

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from .quotes import find_quotes

MAX_CHARS = 1_000_000


LAZY_PIPES = ("lemmatizer", "ner")


SENT_END = {".", "!", "?", "…", "...", "»", "”", '"', ")"}


@Language.component("veille_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """Line breaks end sentences; quotations and mid-clause words never start one."""
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


_MODELS: dict[str, Language] = {}


def load_model(name: str = "fr_core_news_md") -> Language:
    """Load the spaCy model once per process; the caller hands it to `Extractor`."""
    if name not in _MODELS:
        import spacy

        nlp = spacy.load(name)
        ensure_line_breaks(nlp)
        _MODELS[name] = nlp
    return _MODELS[name]


def ensure_line_breaks(nlp: Language) -> None:
    if "veille_line_breaks" not in nlp.pipe_names:
        before = "parser" if "parser" in nlp.pipe_names else None
        nlp.add_pipe("veille_line_breaks", before=before) if before else nlp.add_pipe(
            "veille_line_breaks", first=True
        )


def check_text(text: object) -> str:
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ValueError(f"text too long: {len(text)} characters (max {MAX_CHARS})")
    return text


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
