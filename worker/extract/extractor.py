"""The statement extractor: parse once, find cues, resolve speakers, type, target, date them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from veille.domain import Statement

from .actors import load_kb
from .acts import act_type, inner_act
from .background import is_background
from .cues import Cue, candidates, noun_cues, selon_cues, sent_of, verb_cues
from .lemmas import use_pipeline
from .lexicon import load_lexicon
from .prefilter import Prefilter
from .quotes import QuoteIndex, find_quotes
from .speakers import DocContext, Speaker, last_person_before, resolve_np, resolve_pronoun
from .targets import (
    TARGETED,
    addressee,
    content_targets,
    demand_targets,
    last_mention_actor,
)
from .titles import title_statements

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
        elif quotes.inside(tok.idx) or (prev.text not in SENT_END and not prev.is_space) \
                or tok.text[:1].islower() or tok.text in {",", "»", "”", ")"} \
                or (quotes.containing(tok.idx - 1) and tok.text in {"»", "”", '"'}):
            tok.is_sent_start = False
    return doc


_MODELS: dict[str, Language] = {}


def load_model(name: str = "fr_core_news_md") -> Language:
    """Load the spaCy model once per process; the caller hands it to `Extractor`."""
    if name not in _MODELS:
        import spacy

        nlp = spacy.load(name)
        _ensure_line_breaks(nlp)
        _MODELS[name] = nlp
    return _MODELS[name]


def _ensure_line_breaks(nlp: Language) -> None:
    if "veille_line_breaks" not in nlp.pipe_names:
        before = "parser" if "parser" in nlp.pipe_names else None
        nlp.add_pipe("veille_line_breaks", before=before) if before else \
            nlp.add_pipe("veille_line_breaks", first=True)


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ValueError(f"text too long: {len(text)} characters (max {MAX_CHARS})")
    return text


def _as_date(published: date | datetime | None) -> date | None:
    if isinstance(published, datetime):
        return published.date()
    return published


class Extractor:
    """French statement extractor over a caller-provided spaCy pipeline."""

    def __init__(self, nlp: Language, *, lexicon_paths: Iterable[str | Path] = (),
                 actor_paths: Iterable[str | Path] = ()) -> None:
        _ensure_line_breaks(nlp)
        self.nlp = nlp
        # measured on the dev set: NER adds nothing the parser's PROPN + KB do not give, and the
        # rule lemmatizer is run lazily on the few tokens we inspect (see lemmas.py)
        self.disabled = [p for p in LAZY_PIPES if p in nlp.pipe_names]
        use_pipeline(nlp)
        self.lex = load_lexicon(lexicon_paths)
        self.kb = load_kb(actor_paths)
        self.kb.build(nlp)
        self.prefilter = Prefilter(self.lex)

    def extract(self, text: str, published: date | None = None) -> list[Statement]:
        """All statements of one text, in text order."""
        text = _check_text(text)
        if not text.strip():
            return []
        return self.from_doc(self.nlp(text, disable=self.disabled), _as_date(published))

    def extract_many(self, items: Iterable[tuple[str, date | None]],
                     batch_size: int = 32) -> Iterator[list[Statement]]:
        """One list per item, in order; texts the prefilter rejects are never parsed."""
        batch: list[tuple[str, date | None]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield from self._run_batch(batch, batch_size)
                batch = []
        if batch:
            yield from self._run_batch(batch, batch_size)

    def _run_batch(self, batch: list[tuple[str, date | None]],
                   batch_size: int) -> Iterator[list[Statement]]:
        keep = [i for i, (t, _) in enumerate(batch)
                if _check_text(t).strip() and self.prefilter.keep(t)]
        docs = dict(zip(keep, self.nlp.pipe([batch[i][0] for i in keep],
                                            batch_size=batch_size, disable=self.disabled)))
        for i, (_, published) in enumerate(batch):
            yield self.from_doc(docs[i], _as_date(published)) if i in docs else []

    def from_doc(self, doc: Doc, published: date | None = None) -> list[Statement]:
        """Statements of an already parsed document."""
        quotes = find_quotes(doc.text)
        sents = candidates(doc)
        ctx = DocContext(doc, self.kb, published, self.kb.mentions(doc, published))
        cues: list[Cue] = []
        for sent, toks in sents:
            found = verb_cues(sent, toks, self.lex, quotes)
            found += [c for c in selon_cues(sent, toks) if not quotes.inside(c.tok.idx)]
            found += noun_cues(sent, toks, self.lex, quotes)
            cues.extend(_merge_participles(found))
        resolved = _resolve(ctx, cues)
        found: list[tuple[Statement, str]] = []
        for cue, speakers in resolved:
            found.extend((s, cue.kind) for s in
                         self._statements(ctx, quotes, cue, speakers, resolved))
        out = _inherit_targets(_dedup(found))
        out.extend(title_statements(ctx, quotes, out, self.lex))
        out.sort(key=lambda s: (s.start, s.end))
        return out

    def _statements(self, ctx: DocContext, quotes: QuoteIndex, cue: Cue,
                    speakers: list[Speaker],
                    resolved: list[tuple[Cue, list[Speaker]]]) -> list[Statement]:
        sent = cue.sent
        content = _content(cue)
        type_, conf = act_type(cue, content, self.lex)
        start, end = _span(ctx.doc, sent, quotes)
        qs = quotes.overlapping(start, end)
        direct = bool(qs)
        background = is_background(cue.tok, sent, ctx.when)
        text = ctx.doc.text
        quoted = " ".join(text[s:e] for s, e in qs)
        out = []
        for sp in speakers:
            targets: list[str] = []
            if type_ in TARGETED:
                exclude = {sp.actor, None}
                if cue.kind == "acl" or (cue.kind == "noun" and type_ == "rejection"):
                    hosts = [s for c, ss in resolved if c.sent == sent and c is not cue
                             for s in ss if s.actor and s.actor != sp.actor]
                    targets = list(dict.fromkeys(h.actor for h in hosts))
                if not targets and cue.kind == "passive":
                    targets = content_targets(ctx, [c for c in cue.tok.children
                                                    if c.dep_ == "nsubj:pass"]
                                              and list(next(c for c in cue.tok.children
                                                            if c.dep_ == "nsubj:pass").subtree),
                                              exclude)
                if not targets:
                    ante = last_mention_actor(ctx, cue.tok.i, exclude)
                    targets = addressee(ctx, cue.tok, exclude, ante)
                inner = inner_act(content, self.lex) if cue.type == "statement" else None
                if not targets and inner is not None:
                    targets = addressee(ctx, inner[1], exclude, None)
                if not targets and type_ == "demand":
                    targets = demand_targets(ctx, cue.tok, content, exclude)
                elif not targets:
                    targets = content_targets(ctx, content, exclude)
            out.append(Statement(
                speaker=sp.name, speaker_actor=sp.actor, type=type_, targets=tuple(targets),
                direct=direct, background=background, start=start, end=end,
                sentence=text[sent.start_char:sent.end_char].strip(),
                content=quoted or " ".join(t.text for t in content)[:500],
                cue=text[cue.tok.idx: ctx.doc[cue.last].idx + len(ctx.doc[cue.last])],
                person=sp.person, confidence=round(conf, 2),
            ))
        return out


def _merge_participles(cues: list[Cue]) -> list[Cue]:
    """`a averti ..., réitérant « ... »`: a participle repeating its host's act is not new."""
    out = []
    for c in cues:
        if c.kind == "participle":
            host = next((h for h in cues if h is not c and h.kind == "verb"
                         and c.tok in list(h.tok.subtree)), None)
            if host is not None and (c.type == "statement" or c.type == host.type):
                continue
        out.append(c)
    return out


def _resolve(ctx: DocContext, cues: list[Cue]) -> list[tuple[Cue, list[Speaker]]]:
    """Resolve nominal subjects first, then pronouns against earlier (or later) speakers."""
    first: list[list[Speaker] | None] = []
    for c in cues:
        heads = [c.agent] if c.agent is not None else c.subjects
        if c.pronoun is not None or not heads:
            first.append(None)
            continue
        sps = [sp for h in heads if (sp := resolve_np(ctx, h)) is not None]
        first.append(sps)
    out: list[tuple[Cue, list[Speaker]]] = []
    history: list[Speaker] = []
    for i, c in enumerate(cues):
        sps = first[i]
        if sps and any(not s.name or s.name[:1].islower() for s in sps):
            heads = [c.agent] if c.agent is not None else c.subjects
            sps = [sp for h in heads if (sp := resolve_np(ctx, h, history)) is not None]
        if sps is None:
            later = [s for f in first[i + 1:] if f for s in f if s.person]
            if c.pronoun in {"celui-ci", "celle-ci"}:
                pron = [t.i for t in ctx.doc[sent_of(c.tok).start:c.tok.i]
                        if t.lower_.startswith(("celui", "celle"))]
                sp = last_person_before(ctx, pron[-1] if pron else c.tok.i)
            elif c.pronoun is not None:
                sp = resolve_pronoun(c.pronoun, history, later)
                if sp is None and c.pronoun.lstrip("-") in {"il", "elle"}:
                    sp = last_person_before(ctx, c.tok.i, "f" if "elle" in c.pronoun else "m")
            elif _narrative_infinitive(c.tok) and history:
                sp = history[-1]
            else:
                sp = None
            sps = [sp] if sp is not None else []
        if not sps:
            continue
        out.append((c, sps))
        history.extend(sps)
    return out


def _narrative_infinitive(v: Token) -> bool:
    """`Et d'ajouter : « ... »`: the infinitive takes the last speaker."""
    return "Inf" in v.morph.get("VerbForm") and any(
        c.lower_ in {"d'", "d’", "de"} for c in v.children)


def _content(cue: Cue) -> list[Token]:
    """What was said: the cue's complements, or the rest of the sentence for an incise."""
    v = cue.tok
    subj = {t.i for h in cue.subjects for t in h.subtree}
    if cue.agent is not None:
        subj |= {t.i for t in cue.agent.subtree}
    skip = {t.i for c in v.children if c.dep_ == "advcl" and c.i > v.i
            and "Part" in c.morph.get("VerbForm") for t in c.subtree}
    if v.dep_ in {"parataxis", "advcl"} or v.i > cue.sent.start + (cue.sent.end - cue.sent.start) / 2:
        toks = [t for t in cue.sent if t.i not in subj and t.i not in skip]
    else:
        toks = [t for t in v.subtree if t.i not in subj and t.i not in skip and t.i != v.i]
    return toks


def _span(doc: Doc, sent: Span, quotes: QuoteIndex) -> tuple[int, int]:
    """Character span of a statement: its sentence, widened to a quotation begun earlier."""
    start, end = sent.start_char, sent.end_char
    while end > start and doc.text[end - 1].isspace():
        end -= 1
    q = quotes.containing(start) or quotes.containing(start + 1)
    if q is not None and q[0] < start:
        start = q[0]
    return start, end


def _dedup(found: list[tuple[Statement, str]]) -> list[Statement]:
    """One statement per speaker and act in a sentence; relays yield to named acts."""
    seen: dict[tuple, tuple[Statement, str]] = {}
    for s, kind in found:
        key = (s.start, _speaker_key(s), s.type)
        if key not in seen:
            seen[key] = (s, kind)
    by_sent: dict[int, list[tuple[Statement, str]]] = {}
    for s, kind in seen.values():
        by_sent.setdefault(s.start, []).append((s, kind))
    final = []
    for group in by_sent.values():
        verbs = [s for s, kind in group if kind not in {"selon", "noun"}]
        actors = {s.speaker_actor for s in verbs if s.speaker_actor}
        for s, kind in group:
            if kind == "selon" and verbs:
                continue
            if kind == "noun" and s.speaker_actor in actors:
                continue  # `X réclame … aux revendications de Moscou`: the same side again
            final.append(s)
    return final


def _inherit_targets(sts: list[Statement]) -> list[Statement]:
    """An offer or demand with no addressee keeps the one its speaker last addressed."""
    last: dict[tuple[str, str], tuple[str, ...]] = {}
    out = []
    for s in sorted(sts, key=lambda x: x.start):
        key = (_speaker_key(s), s.type)
        if s.type in {"offer"} and not s.targets and key in last:
            s = replace(s, targets=last[key], confidence=round(s.confidence - 0.1, 2))
        if s.targets:
            last[key] = s.targets
        out.append(s)
    return out


def _speaker_key(s: Statement) -> str:
    if s.person and s.speaker and s.speaker[:1].isupper():
        return s.speaker.split()[-1].lower()
    return s.speaker_actor or (s.speaker or "").lower()
