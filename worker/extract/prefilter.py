"""Cheap regex prefilter: skip texts with neither a quotation mark nor a lexicon word."""

from __future__ import annotations

import re

from .actors import fold
from .lexicon import Lexicon
from .quotes import QUOTE_CHARS


class Prefilter:
    """Decides, without parsing, whether a text may hold a statement."""

    def __init__(self, lex: Lexicon) -> None:
        stems = sorted({fold(s) for s in lex.surface_stems()}, key=len, reverse=True)
        body = "|".join(re.escape(s) for s in stems)
        self._re = re.compile(r"(?<![\w])(?:" + body + r")", re.IGNORECASE)

    def keep(self, text: str) -> bool:
        """True when the text has a quotation mark or a cue-like word."""
        if any(c in QUOTE_CHARS for c in text):
            return True
        return self._re.search(fold(text)) is not None
