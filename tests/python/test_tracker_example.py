"""The example agent: its scripted rephrases hold under both built-in embedders, and it runs."""

from __future__ import annotations

import itertools
import json

import pytest

from _tracker_fixtures import load_example
from conversation_analytics.tracker import CharNgramEmbedder, TokenSortEmbedder

example = load_example()


@pytest.mark.parametrize(
    "embedder", [TokenSortEmbedder(), CharNgramEmbedder()], ids=["token_sort", "ngram"]
)
def test_the_question_bank_rephrases_stay_above_and_topics_below_the_threshold(embedder) -> None:

    def score(a: str, b: str) -> float:
        return embedder.similarity(embedder.embed(a), embedder.embed(b))

    for question, first, second in example.QUESTION_BANK.values():
        assert score(question, first) >= 0.85
        assert score(first, second) >= 0.85
        assert score(question.upper(), first) >= 0.85
    for (t1, a), (t2, b) in itertools.combinations(example.QUESTION_BANK.items(), 2):
        for x, y in itertools.product(a, b):
            assert score(x, y) < 0.85, (t1, t2, x, y)


def test_scenarios_are_deterministic_and_cover_every_outcome() -> None:
    scenarios = example.build_scenarios(14, seed=5)
    assert scenarios == example.build_scenarios(14, seed=5)
    assert len({s.conversation_id for s in scenarios}) == 14
    outcomes = {s.expected.outcome for s in scenarios}
    assert outcomes == {"completed", "abandoned", "in_progress"}
    assert any(s.user_id is None for s in example.build_scenarios(22))
    assert {s.expected.rephrase_count for s in scenarios} == {0, 1, 2}


def test_the_example_runs_as_a_script(tmp_path, capsys) -> None:
    code = example.main(
        ["--conversations", "7", "--store", "jsonl", "--directory", str(tmp_path)]
    )
    assert code == 0
    assert "7 conversations" in capsys.readouterr().out
    lines = [
        json.loads(line)
        for path in tmp_path.glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert {line["conversation_id"] for line in lines} == {
        f"example-0-{i:05d}" for i in range(7)
    }
    assert sum(line["event_type"] == "started" for line in lines) == 7
