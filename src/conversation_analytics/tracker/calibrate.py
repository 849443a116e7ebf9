"""How the rephrase threshold behaves for an embedder, on fixed message pairs.

    python -m conversation_analytics.tracker.calibrate [--embedder token_sort|ngram|sentence]

docs/tracker.md quotes this table for the token-sort and n-gram embedders (a
test keeps the two in step); run it with the sentence embedder installed to
see its figures.
"""

from __future__ import annotations

import argparse
import sys

from .similarity import Embedder, select_embedder

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
        prog="python -m conversation_analytics.tracker.calibrate",
        description="Show how the rephrase threshold behaves for an embedder.",
    )
    parser.add_argument(
        "--embedder", choices=["auto", "token_sort", "ngram", "sentence"], default="auto"
    )
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
