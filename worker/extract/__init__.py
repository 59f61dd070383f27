"""French statement extractor: who said what to whom, from news text (see shared spec)."""

from .extractor import Extractor
from .pipeline import load_model
from .runner import run_jsonl

__all__ = ["Extractor", "load_model", "run_jsonl"]
