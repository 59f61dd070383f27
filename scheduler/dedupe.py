"""Spot the same dispatch across feeds: exact fingerprints and MinHash near-duplicates.

Store per item `exact_fingerprint(text)`, its `band_keys(minhash(text))` (index them) and the
signature bytes; a new item's candidates are the items sharing an exact fingerprint or a band
key, confirmed with `is_near_duplicate`. Compare within a time window (a day or two): recurring
series with template teasers ("l'agenda culturel de la semaine") look alike from week to week.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

NUM_PERM = 128
BANDS = 32
SHINGLE = 3
DUPLICATE_THRESHOLD = 0.5
_MASK = (1 << 64) - 1
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def normalise_text(text: str) -> str:
    """Lower-case words without accents or punctuation: what survives a light rewrite."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    return " ".join(_WORD.findall(_COMBINING.sub("", text)))


def fingerprint_normalised(normalised: str) -> str:
    """sha256 hex of an already normalised text."""
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def exact_fingerprint(text: str) -> str:
    """sha256 hex of the normalised text: equal for the same words, whatever the markup."""
    return fingerprint_normalised(normalise_text(text))


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Overlapping word n-grams of the normalised text (the whole text if it is shorter)."""
    return word_shingles(normalise_text(text).split(), size)


def word_shingles(words: Sequence[str], size: int = SHINGLE) -> set[str]:
    """Overlapping n-grams of already normalised words."""
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def _hash64(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big")


def _coefficients(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Odd multipliers and offsets of the multiply-shift hash family, fixed by the seed."""
    a, b = [], []
    for i in range(num_perm):
        digest = hashlib.sha256(f"veille-minhash:{seed}:{i}".encode()).digest()
        a.append(int.from_bytes(digest[:8], "big") | 1)
        b.append(int.from_bytes(digest[8:16], "big"))
    return np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)


_COEFFS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def minhash(
    text_or_shingles: str | Iterable[str], num_perm: int = NUM_PERM, seed: int = 1
) -> tuple[int, ...]:
    """MinHash signature (num_perm ints) estimating the Jaccard similarity of word shingles.

    Each permutation is a multiply-shift hash, ((a*x + b) mod 2**64) >> 32, computed for every
    shingle at once with numpy (wrap-around multiplication is the mod).
    """
    grams = shingles(text_or_shingles) if isinstance(text_or_shingles, str) else text_or_shingles
    hashes = np.fromiter((_hash64(g) for g in set(grams)), dtype=np.uint64)
    if hashes.size == 0:
        return tuple([_MASK] * num_perm)
    if (num_perm, seed) not in _COEFFS:
        _COEFFS[(num_perm, seed)] = _coefficients(num_perm, seed)
    a, b = _COEFFS[(num_perm, seed)]
    with np.errstate(over="ignore"):
        values = (np.outer(a, hashes) + b[:, None]) >> np.uint64(32)
    return tuple(int(v) for v in values.min(axis=1))


def similar(sig_a: Sequence[int], sig_b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal positions."""
    if len(sig_a) != len(sig_b) or not sig_a:
        raise ValueError("signatures must be non-empty and of the same length")
    return sum(1 for x, y in zip(sig_a, sig_b, strict=True) if x == y) / len(sig_a)


def is_near_duplicate(
    sig_a: Sequence[int], sig_b: Sequence[int], threshold: float = DUPLICATE_THRESHOLD
) -> bool:
    """True when two texts look like the same dispatch lightly rewritten."""
    return similar(sig_a, sig_b) >= threshold


def band_keys(signature: Sequence[int], bands: int = BANDS) -> list[str]:
    """LSH bucket keys: texts sharing any key are candidates (store these, index them)."""
    if len(signature) % bands:
        raise ValueError(f"signature length {len(signature)} is not divisible by {bands} bands")
    rows = len(signature) // bands
    keys = []
    for band in range(bands):
        chunk = signature[band * rows : (band + 1) * rows]
        digest = hashlib.blake2b(struct.pack(f">{rows}Q", *chunk), digest_size=8).hexdigest()
        keys.append(f"{band:02d}:{digest}")
    return keys


def signature_to_bytes(signature: Sequence[int]) -> bytes:
    """Compact storage of a signature (8 bytes per value)."""
    return struct.pack(f">{len(signature)}Q", *signature)


def signature_from_bytes(data: bytes) -> tuple[int, ...]:
    """Inverse of signature_to_bytes."""
    return struct.unpack(f">{len(data) // 8}Q", data)


def candidate_threshold(bands: int = BANDS, num_perm: int = NUM_PERM) -> float:
    """Similarity at which two texts become LSH candidates with probability about one half."""
    rows = num_perm // bands
    return float((1.0 / bands) ** (1.0 / rows))


@dataclass(frozen=True)
class TextKeys:
    """Everything to store about one item's text to find its duplicates later."""

    exact: str
    signature: tuple[int, ...]
    bands: tuple[str, ...]


def text_keys(text: str) -> TextKeys:
    """Exact fingerprint, MinHash signature and LSH band keys of a text, in one call."""
    signature = minhash(text)
    return TextKeys(exact_fingerprint(text), signature, tuple(band_keys(signature)))
