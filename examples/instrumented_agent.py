"""The article's instrumented agent loop, with a scripted LLM and scripted users.

The article is the one the project started from:
"Agent Conversation Analytics: Understanding User Behavior and Agent Performance"
(CallSphere blog, 2026).

`run_conversation` is the loop of "Instrumenting the Agent", written against
`ConversationTracker`'s typed helpers. The LLM and the users are scripted, so
the loop runs anywhere, fast, and every conversation's outcome, turns,
feedback and rephrases are known in advance (`Scenario.expected`): the tests
compare them with the marts that dbt builds from the recorded events.

    python examples/instrumented_agent.py --conversations 50 --store duckdb \\
        --duckdb-path conversation_analytics.duckdb
    python examples/instrumented_agent.py --store jsonl --directory out/events
    python examples/instrumented_agent.py --store postgres   # libpq PG* variables

Then build the marts: `conversation-analytics build` (or `dbt build`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from conversation_analytics.tracker import (
    ConversationTracker,
    DuckDBStore,
    EventStore,
    JsonLinesStore,
    PostgresStore,
)

# Each topic: a question, then two rephrasings of it. Consecutive entries are
# at least 0.85 similar under the token-sort and n-gram embedders, and no two
# entries of different topics are (tests/python/test_tracker_example.py checks
# both).
QUESTION_BANK: dict[str, tuple[str, str, str]] = {
    "password": (
        "How do I reset my password?",
        "how do I reset my password please",
        "how can I reset my password please",
    ),
    "cancel": (
        "I want to cancel my subscription",
        "I want to cancel my subscription please",
        "please, I just want to cancel my subscription",
    ),
    "order": (
        "Where is my order #4521?",
        "where is my order 4521",
        "where is my order 4521 now",
    ),
    "refund": (
        "Can I get a refund for last month?",
        "can I get a refund for last month's bill",
        "could I get a refund for last month's bill",
    ),
    "payment": (
        "My payment failed when I tried to upgrade",
        "The payment failed when I tried to upgrade my plan",
        "the payment failed again when I tried to upgrade my plan",
    ),
    "login": (
        "I can't log in to my account",
        "I can't log into my account",
        "I still can't log into my account",
    ),
    "email": (
        "How do I change the email on my account?",
        "how do I change my account email",
        "how can I change my account email",
    ),
    "export": (
        "How do I export my data as CSV?",
        "how can I export my data as CSV",
        "how can I export all my data as CSV",
    ),
}

TOOLS = {
    "password": "send_reset_link",
    "cancel": "cancel_subscription",
    "order": "lookup_order",
    "refund": "issue_refund",
    "payment": "retry_payment",
    "login": "unlock_account",
    "email": "update_email",
    "export": "start_export",
}

MODELS = ("gpt-4o-mini", "claude-sonnet")


# -- the scripted world ------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    name: str
    status: str = "ok"


@dataclass(frozen=True)
class AgentResponse:
    """What the fake LLM returns, shaped like an LLM client's response."""

    content: str
    model: str
    tool_calls: tuple[ToolCall, ...] = ()
    resolved: bool = False
    handoff_reason: str | None = None
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Expected:
    """What the marts must show for one scripted conversation."""

    outcome: str
    user_turns: int
    positive_feedback_count: int
    negative_feedback_count: int
    rephrase_count: int
    had_handoff: bool


@dataclass(frozen=True)
class Scenario:
    """One scripted conversation: what the user says and how the agent fares.

    `messages[i]` is the user's message on turn i + 1. The agent resolves the
    request on `resolves_at_turn`, or hands off on `handoff_at_turn`; with
    neither, the user leaves after the last message. `rephrases` counts the
    messages that rephrase the one before (the rephrase rule of docs/metric-definitions.md).
    """

    conversation_id: str
    user_id: str | None
    channel: str
    agent_id: str
    model: str
    messages: tuple[str, ...]
    topics: tuple[str, ...]
    rephrases: int
    resolves_at_turn: int | None = None
    handoff_at_turn: int | None = None
    failing_tool_turns: frozenset[int] = field(default_factory=frozenset)
    feedback: str | None = None

    @property
    def expected(self) -> Expected:
        if self.resolves_at_turn is not None:
            outcome, turns = "completed", self.resolves_at_turn
        elif self.handoff_at_turn is not None:
            # A human takes over; nothing closes the conversation yet.
            outcome, turns = "in_progress", self.handoff_at_turn
        else:
            outcome, turns = "abandoned", len(self.messages)
        return Expected(
            outcome=outcome,
            user_turns=turns,
            positive_feedback_count=int(self.feedback == "positive"),
            negative_feedback_count=int(self.feedback == "negative"),
            rephrase_count=self.rephrases,
            had_handoff=self.handoff_at_turn is not None,
        )


class ScriptedLLM:
    """A fake LLM that follows one scenario, turn by turn."""

    def __init__(self, scenario: Scenario, delay: float = 0.0) -> None:
        self.scenario = scenario
        self.delay = delay
        self.turn = 0

    async def run(self, user_message: str) -> AgentResponse:
        self.turn += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        scenario, turn = self.scenario, self.turn
        topic = scenario.topics[turn - 1]
        status = "error" if turn in scenario.failing_tool_turns else "ok"
        tools = (ToolCall(TOOLS[topic], status),)
        usage = {
            "latency_ms": 350.0 + 40 * turn,
            "input_tokens": 120 + len(user_message),
            "output_tokens": 60 + 5 * turn,
        }
        if turn == scenario.resolves_at_turn:
            return AgentResponse(
                f"Done: I used {TOOLS[topic]} and your {topic} request is sorted.",
                scenario.model,
                tools,
                resolved=True,
                **usage,
            )
        if turn == scenario.handoff_at_turn:
            return AgentResponse(
                "Let me bring in a colleague who can help with this.",
                scenario.model,
                handoff_reason=f"{topic}_needs_human",
                **usage,
            )
        return AgentResponse(
            f"I looked into your {topic} question. Could you tell me more?",
            scenario.model,
            tools if status == "error" else (),
            **usage,
        )


class ScriptedUser:
    """A user who says the scenario's messages, then leaves (returns None)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.said = 0

    async def next_message(self) -> str | None:
        if self.said >= len(self.scenario.messages):
            return None
        self.said += 1
        return self.scenario.messages[self.said - 1]

    async def feedback(self) -> str | None:
        return self.scenario.feedback


def is_conversation_complete(response: AgentResponse) -> bool:
    return response.resolved


# -- the instrumented loop (the article's run_conversation) ----------------------


async def run_conversation(
    tracker: ConversationTracker,
    agent: ScriptedLLM,
    user: ScriptedUser,
    conversation_id: str,
    user_id: str | None,
    channel: str,
    agent_id: str,
) -> str:
    """Run one conversation, recording every event of its lifecycle."""
    user_message = await user.next_message()
    assert user_message is not None, "a conversation starts with a message"
    await tracker.started(conversation_id, user_id, channel=channel, agent_id=agent_id)
    while True:
        await tracker.user_message(conversation_id, user_id, text=user_message)

        response = await agent.run(user_message)

        for call in response.tool_calls:
            await tracker.tool_called(
                conversation_id, user_id, tool_name=call.name, status=call.status
            )
        await tracker.agent_response(
            conversation_id,
            user_id,
            text=response.content,
            model=response.model,
            latency_ms=response.latency_ms,
            input_tokens=response.input_tokens,
            output_tokens=response.output_tokens,
        )

        if response.handoff_reason is not None:
            await tracker.handoff_requested(
                conversation_id, user_id, reason=response.handoff_reason
            )
            break

        if is_conversation_complete(response):
            rating = await user.feedback()
            if rating is not None:
                await tracker.feedback(conversation_id, user_id, rating=rating)
            await tracker.completed(conversation_id, user_id)
            break

        next_message = await user.next_message()
        if next_message is None:  # the user left
            rating = await user.feedback()
            if rating is not None:
                await tracker.feedback(conversation_id, user_id, rating=rating)
            await tracker.abandoned(conversation_id, user_id)
            break
        user_message = next_message

    return response.content


# -- scenarios -----------------------------------------------------------------------

_KINDS = (
    "quick",
    "rephrase_then_resolve",
    "frustrated_leaves",
    "exact_repeat",
    "topic_change",
    "handoff",
    "long",
)


def build_scenarios(count: int, seed: int = 0) -> list[Scenario]:
    """`count` deterministic scenarios cycling through every kind of ending."""
    rng = random.Random(seed)
    topics = list(QUESTION_BANK)
    scenarios = []
    for index in range(count):
        kind = _KINDS[index % len(_KINDS)]
        topic, other, third = rng.sample(topics, 3)
        q = QUESTION_BANK[topic]
        common = {
            "conversation_id": f"example-{seed}-{index:05d}",
            "user_id": None if index % 11 == 10 else f"user-{rng.randrange(25):03d}",
            "channel": rng.choice(("web", "mobile", "api")),
            "agent_id": rng.choice(("support-v1", "support-v2")),
            "model": rng.choice(MODELS),
        }
        if kind == "quick":
            scenario = Scenario(
                **common,
                messages=q[:1],
                topics=(topic,),
                rephrases=0,
                resolves_at_turn=1,
                feedback="positive",
            )
        elif kind == "rephrase_then_resolve":
            scenario = Scenario(
                **common,
                messages=q[:2],
                topics=(topic, topic),
                rephrases=1,
                resolves_at_turn=2,
                failing_tool_turns=frozenset({1}),
                feedback=rng.choice(("positive", None)),
            )
        elif kind == "frustrated_leaves":
            scenario = Scenario(
                **common,
                messages=q,
                topics=(topic,) * 3,
                rephrases=2,
                feedback="negative",
            )
        elif kind == "exact_repeat":
            scenario = Scenario(
                **common,
                messages=(q[0], q[0].upper(), q[1]),
                topics=(topic,) * 3,
                rephrases=1,
                resolves_at_turn=3,
            )
        elif kind == "topic_change":
            scenario = Scenario(
                **common,
                messages=(q[0], QUESTION_BANK[other][0]),
                topics=(topic, other),
                rephrases=0,
                resolves_at_turn=2,
                feedback="positive",
            )
        elif kind == "handoff":
            scenario = Scenario(
                **common,
                messages=q[:2],
                topics=(topic, topic),
                rephrases=1,
                handoff_at_turn=2,
            )
        else:  # long: three topics, two rephrases, resolved at turn 5
            o, t = QUESTION_BANK[other], QUESTION_BANK[third]
            scenario = Scenario(
                **common,
                messages=(q[0], q[1], o[0], t[0], t[1]),
                topics=(topic, topic, other, third, third),
                rephrases=2,
                resolves_at_turn=5,
                feedback=rng.choice(("negative", "positive")),
            )
        scenarios.append(scenario)
    return scenarios


async def run_scenarios(
    tracker: ConversationTracker,
    scenarios: Sequence[Scenario],
    concurrency: int = 8,
    llm_delay: float = 0.0,
) -> None:
    """Run the scenarios, `concurrency` conversations at a time, as agents would."""
    gate = asyncio.Semaphore(concurrency)

    async def one(scenario: Scenario) -> None:
        async with gate:
            await run_conversation(
                tracker,
                ScriptedLLM(scenario, llm_delay),
                ScriptedUser(scenario),
                scenario.conversation_id,
                scenario.user_id,
                scenario.channel,
                scenario.agent_id,
            )

    await asyncio.gather(*(one(s) for s in scenarios))


# -- command line ----------------------------------------------------------------------


def make_store(args: argparse.Namespace) -> EventStore:
    if args.store == "duckdb":
        return DuckDBStore(args.duckdb_path)
    if args.store == "postgres":
        return PostgresStore()
    return JsonLinesStore(args.directory)


async def _main(args: argparse.Namespace) -> int:
    scenarios = build_scenarios(args.conversations, args.seed)
    async with ConversationTracker(make_store(args), embedder=args.embedder) as tracker:
        await run_scenarios(tracker, scenarios, llm_delay=args.llm_delay)
    stats = tracker.stats
    outcomes: dict[str, int] = {}
    for scenario in scenarios:
        outcome = scenario.expected.outcome
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(
        f"{len(scenarios)} conversations ({', '.join(f'{k} {v}' for k, v in outcomes.items())}): "
        f"{stats.recorded} events recorded, {stats.written} written to "
        f"{tracker.store.name}, {stats.dropped} dropped, {stats.retries} retries"
    )
    return 0 if stats.dropped == 0 and stats.written == stats.recorded else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run scripted conversations through the instrumented agent loop."
    )
    parser.add_argument("--conversations", type=int, default=21, help="how many (default 21)")
    parser.add_argument("--seed", type=int, default=0, help="scenario seed (default 0)")
    parser.add_argument(
        "--store", choices=("duckdb", "postgres", "jsonl"), default="duckdb", help="destination"
    )
    parser.add_argument(
        "--duckdb-path", default="conversation_analytics.duckdb", help="DuckDB file (duckdb store)"
    )
    parser.add_argument("--directory", default="out/events", help="folder (jsonl store)")
    parser.add_argument(
        "--embedder",
        choices=("auto", "token_sort", "ngram", "sentence"),
        default="token_sort",
        help="message similarity (the scripted rephrases are tuned for token_sort and ngram)",
    )
    parser.add_argument(
        "--llm-delay", type=float, default=0.0, help="seconds the fake LLM takes per reply"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
