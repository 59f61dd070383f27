"""Titles without a reporting verb: `X : « … »`, `Sujet : « … »` with the speaker in the next line."""

from __future__ import annotations

from spacy.tokens import Span, Token

from veille.domain import Statement

from .acts import _content_type
from .lexicon import Lexicon
from .quotes import QuoteIndex
from .speakers import DocContext, Speaker, name_gender
from .targets import TARGETED, content_targets


def title_span(ctx: DocContext) -> Span | None:
    """The first line when the text has a title line of its own."""
    text = ctx.text
    nl = text.find("\n")
    if nl == -1:
        return None
    first = next(iter(ctx.doc.sents), None)
    if first is None:
        return None
    if first.start_char + len(text[first.start_char : first.end_char].rstrip()) > nl:
        return None
    return first


def _near_quote_or_colon(ctx: DocContext, start: int, end: int, quotes: QuoteIndex) -> bool:
    """`X : « … »`, `X « … »`, or `« … » : … X`: the name frames the quotation."""
    doc = ctx.doc
    while end < len(doc) and doc[end].is_space:
        end += 1
    nxt = doc[end] if end < len(doc) else None
    if nxt is not None and (nxt.text in {":", "«", '"', "“"} or quotes.inside(nxt.idx + 1)):
        return True
    if nxt is not None and nxt.text == ",":
        # `Kiril Petkov, premier ministre bulgare : « … »`: the office between name and colon
        for t in doc[end + 1 : min(end + 9, len(doc))]:
            if t.text == ":":
                return True
            if t.pos_ in {"VERB", "AUX"} or t.is_punct or quotes.inside(t.idx):
                break
    before = doc[max(0, start - 12) : start]
    return any(t.text == ":" for t in before) and any(t.text in {"»", "”", '"'} for t in before)


def _topic(ctx: DocContext, start: int) -> bool:
    """`Guerre en Ukraine : « … »`: a place after a preposition names the topic, not a speaker."""
    return start > 0 and ctx.doc[start - 1].pos_ == "ADP"


def _speaker_in(ctx: DocContext, sent: Span, quotes: QuoteIndex) -> Speaker | None:
    """A named person, else an actor, written outside the quotation in the title."""
    outside = [t for t in sent if not quotes.inside(t.idx) and t.text not in '«»"“”']
    for t in outside:
        m = ctx.at.get(t.i)
        if m and m.person and _near_quote_or_colon(ctx, m.start, m.end, quotes):
            office = m.person.office_at(ctx.when)
            return Speaker(
                ctx.full_name(m.person.name),
                office.actor if office else None,
                True,
                m.person.gender,
            )
    # a name the KB does not know: `Prénom Nom` as the parser groups it (see DocContext)
    for start, written in ctx.person_spans:
        stop, end = ctx.doc[start].idx + len(written), start + 1
        while end < len(ctx.doc) and ctx.doc[end].idx < stop:
            end += 1
        if (
            sent.start <= start < sent.end
            and not quotes.inside(ctx.doc[start].idx)
            and all(ctx.at.get(t.i) is None for t in ctx.doc[start:end])
            and _near_quote_or_colon(ctx, start, end, quotes)
        ):
            name = ctx.full_name(written)
            return Speaker(
                name, ctx.person_actor.get(name.split()[-1].lower()), True, name_gender(name)
            )
    colon = next((t.i for t in outside if t.text == ":"), None)
    for t in outside:
        m = ctx.at.get(t.i)
        if (
            m
            and m.actor
            and (colon is None or t.i < colon)
            and t.i == m.start
            and not _topic(ctx, m.start)
        ):
            nxt = ctx.doc[m.end] if m.end < len(ctx.doc) else None
            if nxt is not None and (quotes.inside(nxt.idx + 1) or nxt.text in '«"“'):
                return Speaker(m.text, m.actor, False)
    return None


def _said(
    ctx: DocContext,
    sp: Speaker,
    said: list[Token],
    span: tuple[int, int],
    content: str,
    lex: Lexicon,
    direct: bool = True,
) -> Statement:
    """One title statement: `sp` says the words `said` (typed and targeted from them)."""
    start, end = span
    type_ = _content_type(said, lex) or "statement"
    exclude: set[str | None] = {sp.actor, None}
    targets = content_targets(ctx, said, exclude) if type_ in TARGETED else []
    return Statement(
        speaker=sp.name,
        speaker_actor=sp.actor,
        type=type_,
        targets=tuple(targets),
        direct=direct,
        background=False,
        start=start,
        end=end,
        sentence=ctx.text[start:end],
        content=content,
        cue=":",
        person=sp.person,
        confidence=0.5 if direct else 0.45,
    )


def title_statements(
    ctx: DocContext, quotes: QuoteIndex, existing: list[Statement], lex: Lexicon
) -> list[Statement]:
    """A quoted title with no cue is said by whom the title or the next line names."""
    sent = title_span(ctx)
    if sent is None:
        return []
    start, end = sent.start_char, sent.end_char
    while end > start and ctx.text[end - 1].isspace():
        end -= 1
    if any(s.start < end and start < s.end for s in existing):
        return _segment_statements(ctx, quotes, sent, existing, lex)
    qs = quotes.overlapping(start, end)
    if not qs:
        return _name_colon_title(ctx, sent, start, end, existing, lex)
    sp = _speaker_in(ctx, sent, quotes)
    if sp is None:
        nxt = sorted(
            (
                s
                for s in existing
                if s.start >= end and s.person and s.speaker and s.speaker[:1].isupper()
            ),
            key=lambda s: s.start,
        )
        if (
            nxt
            and ctx.text[end : nxt[0].start].count("\n") <= 2
            and "\n" not in ctx.text[end : nxt[0].start].strip()
        ):
            s0 = nxt[0]
            sp = Speaker(s0.speaker, s0.speaker_actor, s0.person)
    if sp is None:
        return []
    quoted = [t for t in sent if quotes.inside(t.idx)]
    content = " ".join(ctx.text[s:e] for s, e in qs)
    colon = next((t for t in sent if t.text == ":" and not quotes.inside(t.idx)), None)
    last = (sp.name or "").split()[-1:]
    if (
        colon is not None
        and last
        and last[0].lower() in ctx.text[start : colon.idx].lower()  # `X : …`, X the speaker
        and colon.idx < qs[0][0]
        and ctx.text[colon.idx + 1 : qs[0][0]].strip()
    ):
        # `Lavrov : l'Occident « doit cesser » de livrer des armes`: a clause quoting a few
        # of the speaker's words is the speaker's claim, whole
        quoted = [t for t in ctx.doc[colon.i + 1 : sent.end] if t.text not in '«»"“”']
        content = ctx.text[colon.idx + 1 : end].strip()
    return [_said(ctx, sp, quoted, (start, end), content, lex)]


def _name_colon_title(
    ctx: DocContext, sent: Span, start: int, end: int, existing: list[Statement], lex: Lexicon
) -> list[Statement]:
    """`Borrel: les pays du G20 ne partagent pas …`: a name and a colon open the title, and
    the next lines have that person speak; what follows the colon is theirs."""
    colon = next((t for t in sent[:4] if t.text == ":"), None)
    if colon is None or colon.i == sent.start:
        return []
    head = [t for t in ctx.doc[sent.start : colon.i]]
    if not all(t.text[:1].isupper() or t.pos_ == "PROPN" for t in head if t.is_alpha):
        return []
    last = head[-1].lower_
    person = next(
        (
            s
            for s in sorted(existing, key=lambda s: s.start)
            if s.start >= end
            and s.person
            and s.speaker
            and s.speaker.split()[-1].lower() == last
            and ctx.text[end : s.start].count("\n") <= 3
        ),
        None,
    )
    if person is None:
        return []
    said = list(ctx.doc[colon.i + 1 : sent.end])
    sp = Speaker(person.speaker, person.speaker_actor, True)
    content = ctx.text[colon.idx + 1 : end].strip()
    return [_said(ctx, sp, said, (start, end), content, lex, direct=False)]


def _segment_statements(
    ctx: DocContext, quotes: QuoteIndex, sent: Span, existing: list[Statement], lex: Lexicon
) -> list[Statement]:
    """A live title of several news (`… : X accuse … ; Y « pas pressé » …`): a segment with
    a quotation and no cue of its own is said by whom that segment names."""
    text = ctx.text
    start = sent.start_char
    end = start + len(text[start : sent.end_char].rstrip())
    bounds = [t.i for t in sent if t.text == ";"]
    if not bounds:
        return []
    cuts = [sent.start, *[b + 1 for b in bounds], sent.end]
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        seg = ctx.doc[a:b]
        seg_text = seg.text
        if any(s.start < end and start < s.end and s.cue in seg_text for s in existing):
            continue
        qs = quotes.overlapping(seg.start_char, seg.end_char)
        if not qs:
            continue
        sp = _speaker_in(ctx, seg, quotes)
        if sp is None:
            continue
        quoted = [t for t in seg if quotes.inside(t.idx)]
        content = " ".join(text[s:e] for s, e in qs)
        out.append(_said(ctx, sp, quoted, (start, end), content, lex))
    return out
