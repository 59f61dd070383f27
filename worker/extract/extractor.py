"""The statement extractor: parse once, find cues, resolve speakers, type, target, date them."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from veille.domain import Statement

from .actors import load_kb
from .acts import act_type, inner_act
from .attribution import noun_cues, selon_cues, source_of_infinitives, without_announced
from .background import is_background
from .content import content_field, own_words, reported
from .context import DocContext
from .coref import resolve_speakers
from .cues import Cue, candidates, verb_cues
from .lexicon import load_lexicon
from .modality import binds_us
from .parsing import PARSER, parse, stepped_parser
from .parts import batches, shifted, split
from .pipeline import (
    LAZY_PIPES,
    as_date,
    check_text,
    ensure_line_breaks,
    for_model,
    ruler_space_attrs,
    use_pipeline,
)
from .postprocess import dedup, inherit_targets, merge_participles
from .prefilter import Prefilter
from .quotes import QuoteIndex, find_quotes
from .speakers import Speaker
from .targets import (
    TARGETED,
    actors_in,
    addressee,
    asks_the_other_side,
    condition_subject,
    content_targets,
    demand_targets,
    doer_of,
    last_mention_actor,
    named_next,
    own_allies,
    salient_counterpart,
)
from .titles import title_statements


@dataclass(eq=False)
class _Pending:
    """An item of `extract_many` until every part of it that is parsed has been read."""

    published: date | None
    found: list[Statement] = field(default_factory=list)
    waiting: int = 0  # parts in the batch being filled
    complete: bool = False  # every part of the text is known


class Extractor:
    """French statement extractor over a caller-provided spaCy pipeline."""

    def __init__(
        self,
        nlp: Language,
        *,
        lexicon_paths: Iterable[str | Path] = (),
        actor_paths: Iterable[str | Path] = (),
    ) -> None:
        ensure_line_breaks(nlp)
        self.nlp = nlp
        # measured on the dev set: NER adds nothing the parser's PROPN + KB do not give, the
        # rule lemmatizer is run lazily on the few tokens we inspect (see `lemma`), and of the
        # attribute ruler only its whitespace rules matter, redone cheaply (`ruler_space_attrs`)
        self.disabled = [p for p in LAZY_PIPES if p in nlp.pipe_names]
        self._fix_spaces = "attribute_ruler" in self.disabled
        # the parser runs after the pipeline, step by step (see parsing.py), when it can
        self._parser = stepped_parser(nlp, self.disabled)
        self._skipped = self.disabled + ([PARSER] if self._parser is not None else [])
        use_pipeline(nlp)
        self.lex = load_lexicon(lexicon_paths)
        self.kb = load_kb(actor_paths)
        self.kb.build(nlp)
        self.prefilter = Prefilter(self.lex, [*self.kb.surfaces, *self.kb.nationalities])

    def extract(self, text: str, published: date | None = None) -> list[Statement]:
        """All statements of one text, in text order (every part parsed: no pre-filter)."""
        return next(self._extract([(text, published)], 1, filtered=False))

    def extract_many(
        self, items: Iterable[tuple[str, date | None]], batch_size: int = 32
    ) -> Iterator[list[Statement]]:
        """One list per item, in order; texts the prefilter rejects are never parsed.

        Only kept texts reach `nlp.pipe`, so its batches stay full however many items the
        prefilter skips. A long text is read in parts, and a batch is bounded in characters
        as well as in texts (see parts.py): memory stays bounded whatever the items.
        """
        return self._extract(items, batch_size, filtered=True)

    def _extract(
        self, items: Iterable[tuple[str, date | None]], batch_size: int, filtered: bool
    ) -> Iterator[list[Statement]]:
        pending: deque[_Pending] = deque()

        def parts() -> Iterator[tuple[tuple[_Pending, int], str]]:
            for text, published in items:
                entry = _Pending(as_date(published))
                pending.append(entry)
                text = check_text(text)
                if text.strip():
                    for offset, part in split(text):
                        if not filtered or self.prefilter.keep(part):
                            entry.waiting += 1
                            yield (entry, offset), part
                entry.complete = True

        for group in batches(parts(), batch_size):
            texts = [for_model(part) for _, part in group]
            docs = self.nlp.pipe(texts, batch_size=len(texts), disable=self._skipped)
            for ((entry, offset), part), doc in zip(group, self._parsed(list(docs)), strict=True):
                # a later part's first line is no title: only the text's own is
                found = self.from_doc(doc, entry.published, part, titled=offset == 0)
                # the per-doc tables hold spans of the doc: a cycle the garbage collector
                # frees late, and with it the doc's arrays; break it now
                doc.user_data.clear()
                entry.found.extend(shifted(found, offset))
                entry.waiting -= 1
            while pending and pending[0].complete and not pending[0].waiting:
                yield pending.popleft().found
        while pending:
            yield pending.popleft().found

    def _parsed(self, docs: list[Doc]) -> list[Doc]:
        """Docs out of the pipeline, parsed (if the parser was left to us) and fixed up."""
        if self._parser is not None:
            parse(self._parser, docs)
        return [ruler_space_attrs(doc) for doc in docs] if self._fix_spaces else docs

    def from_doc(
        self,
        doc: Doc,
        published: date | None = None,
        text: str | None = None,
        titled: bool = True,
    ) -> list[Statement]:
        """Statements of an already parsed document (`text`: the parsed string, if at hand;
        `titled`: whether its first line may be a title, as it may not in a later part)."""
        if text is None:
            text = doc.text  # Doc.text re-joins every token: compute it once
        quotes = find_quotes(text)
        cues: list[Cue] = []
        for sent, toks in candidates(doc, self.lex):
            here = verb_cues(sent, toks, self.lex, quotes)
            here += [c for c in selon_cues(sent, toks) if not quotes.inside(c.tok.idx)]
            here += noun_cues(sent, toks, self.lex, quotes)
            cues.extend(without_announced(source_of_infinitives(merge_participles(here))))
        title_end = (text.find("\n") + 1 or len(text)) if titled else 0
        if not cues and not (titled and quotes.overlapping(0, title_end)):
            return []  # nothing to attribute, and no quoted title (see title_statements)
        ctx = DocContext(doc, self.kb, published, self.kb.mentions(doc, published), text=text)
        resolved = resolve_speakers(ctx, cues, quotes)
        found: list[tuple[Statement, str]] = []
        for cue, speakers in resolved:
            found.extend(
                (s, cue.kind) for s in self._statements(ctx, quotes, cue, speakers, resolved)
            )
        out = inherit_targets(dedup(found))
        if titled:
            out.extend(title_statements(ctx, quotes, out, self.lex))
        out.sort(key=lambda s: (s.start, s.end))
        return out

    def _statements(
        self,
        ctx: DocContext,
        quotes: QuoteIndex,
        cue: Cue,
        speakers: list[Speaker],
        resolved: list[tuple[Cue, list[Speaker]]],
    ) -> list[Statement]:
        sent = cue.sent
        content = reported(cue)
        own = own_words(cue, content, resolved, quotes)
        type_, conf = act_type(cue, own, self.lex, [t for t in own if quotes.inside(t.idx)])
        if type_ == "none":
            return []
        inner = inner_act(content, self.lex, cue.tok) if cue.type == "statement" else None
        start, end = _span(ctx.text, sent, quotes)
        qs = quotes.overlapping(start, end)
        direct = bool(qs)
        background = is_background(cue.tok, sent, ctx.when)
        text = ctx.text
        quoted = " ".join(text[s:e] for s, e in qs)
        out = []
        mutual = (
            cue.key in self.lex.reciprocal
            or (
                type_ == "accusation"
                and any(c.lower_ in {"se", "s'", "s’"} for c in cue.tok.children)
            )
        ) and len({s.actor for s in speakers}) > 1
        for sp in speakers:
            if mutual:
                # `Kiev et Moscou ont échangé des accusations`: each accuses the others
                targets: list[str] = list(
                    dict.fromkeys(s.actor for s in speakers if s.actor and s.actor != sp.actor)
                )
            else:
                targets = (
                    self._rule_targets(ctx, cue, content, sp, type_, resolved, inner)
                    if type_ in TARGETED
                    else []
                )
            out.append(
                Statement(
                    speaker=_without_cue(sp.name, cue),
                    speaker_actor=sp.actor,
                    type=type_,
                    targets=tuple(targets),
                    direct=direct,
                    background=background,
                    start=start,
                    end=end,
                    sentence=text[sent.start_char : sent.end_char].strip(),
                    content=content_field(text, content, cue.tok, qs) or quoted,
                    cue=text[cue.tok.idx : ctx.doc[cue.last].idx + len(ctx.doc[cue.last])],
                    person=sp.person,
                    confidence=round(conf, 2),
                )
            )
        return out

    def _rule_targets(
        self,
        ctx: DocContext,
        cue: Cue,
        content: list[Token],
        sp: Speaker,
        type_: str,
        resolved: list[tuple[Cue, list[Speaker]]],
        inner: tuple[str, Token] | None,
    ) -> list[str]:
        """The addressee by the rules: argument slots, the demanded clause, the content."""
        sent = cue.sent
        targets: list[str] = []
        exclude: set[str | None] = {sp.actor, None}
        if cue.kind == "acl" or (cue.kind == "noun" and type_ == "rejection"):
            # `une demande rejetée par Moscou`: whose demand it was
            hosts = [
                s.actor
                for c, ss in resolved
                if c.sent == sent and c is not cue
                for s in ss
                if s.actor and s.actor != sp.actor
            ]
            targets = list(dict.fromkeys(a for a in hosts if a))
        passive_subj = next((c for c in cue.tok.children if c.dep_ == "nsubj:pass"), None)
        if not targets and cue.kind == "passive" and passive_subj is not None:
            # `Téhéran est accusé par les Occidentaux de …`: the subject is the target
            targets = content_targets(ctx, list(passive_subj.subtree), exclude)
        if not targets and type_ == "accusation":
            targets = doer_of(ctx, cue.tok, exclude)  # `dénonce les frappes russes sur Kiev`
        if not targets:
            ante = last_mention_actor(ctx, cue.tok.i, exclude)
            subj = frozenset(t.i for h in cue.subjects for t in h.subtree)
            # `la Commission appelle les pays de l'UE à …`: one may address one's own side
            own_ok: set[str | None] = {None} if type_ == "demand" else exclude
            targets = addressee(ctx, cue.tok, own_ok, ante, subj)
        if not targets and inner is not None:
            targets = addressee(ctx, inner[1], exclude, None)
        if not targets and type_ == "demand":
            others = frozenset(c.tok.i for c, _ in resolved if c.sent == sent)
            targets = demand_targets(ctx, cue.tok, content, exclude, others)
        elif not targets:
            if type_ == "warning":
                targets = condition_subject(ctx, content, exclude)
            targets = targets or content_targets(ctx, content, exclude)
        if not targets and type_ in {"demand", "offer"}:
            targets = own_allies(cue.tok, sp.actor)  # `appelle ses alliés à …`
        if not targets and type_ == "demand":
            targets = _implied_addressee(ctx, cue.tok, content, sp.actor, exclude)
        if not targets and type_ != "demand":
            # `dénonce une « détention illégale »`, `avertit que …` with no one named in the
            # act: whom the sentence names, else the other side the text is mostly about
            targets = actors_in(ctx, list(sent), exclude, adjectives=False)[:1]
            targets = targets or salient_counterpart(ctx, exclude)
        return targets


def _implied_addressee(
    ctx: DocContext, cue: Token, content: list[Token], actor: str | None, exclude: set[str | None]
) -> list[str]:
    """Who a demand asks when the parse names no one: the name right after a misparsed cue
    (`somme Kiev de …`), the speaker's own side (`« nous devons nous préparer »`), the other
    side when only it can grant what is asked (`réclame un couloir humanitaire`)."""
    return (
        named_next(ctx, cue, exclude)
        or ([actor] if actor and binds_us(content) else [])
        or (salient_counterpart(ctx, exclude) if asks_the_other_side(cue) else [])
    )


def _without_cue(name: str | None, cue: Cue) -> str | None:
    """A misread verb (`Téhéran dément`, `le chef de l'Otan avertit Moscou`) can be parsed
    into its subject's name: the name stops before the cue."""
    word = cue.tok.text
    if not name or not word[:1].islower():
        return name
    words = name.split()
    if word in words[1:]:
        return " ".join(words[: words.index(word, 1)])
    return name


def _span(text: str, sent: Span, quotes: QuoteIndex) -> tuple[int, int]:
    """Character span of a statement: its sentence, widened to a quotation begun earlier."""
    start, end = sent.start_char, sent.end_char
    while end > start and text[end - 1].isspace():
        end -= 1
    q = quotes.containing(start) or quotes.containing(start + 1)
    if q is not None and q[0] < start:
        start = q[0]
    return start, end
