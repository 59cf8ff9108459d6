"""The readable state encoder: what it shows, and that its shortcuts show the same thing."""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage, HumanMessage

from runs.langgraph.readable import StateEncoder, encode_value


def shown(encoder: StateEncoder, values: dict, versions: dict) -> dict:
    return json.loads(encoder.encode("run_1", values, versions))


def test_a_growing_message_list_reads_the_same_as_encoding_it_whole() -> None:
    encoder = StateEncoder()
    messages: list = []
    for step in range(1, 6):
        messages = [*messages, HumanMessage(f"ask {step}"), AIMessage(f"answer {step}")]
        state = shown(encoder, {"messages": messages, "step": step}, {"messages": step, "step": step})
        assert state == {"messages": json.loads(encode_value(messages)), "step": step}
    assert state["messages"][-1] == "<AIMessage: answer 5>"


def test_changes_the_shortcut_could_miss_are_seen() -> None:
    encoder = StateEncoder()
    items = ["a", "b"]
    shown(encoder, {"items": items}, {"items": 1})

    items.append("c")  # appended in place: the same list object
    assert shown(encoder, {"items": items}, {"items": 2}) == {"items": ["a", "b", "c"]}
    assert shown(encoder, {"items": ["a", "x", "c", "d"]}, {"items": 3}) == {"items": ["a", "x", "c", "d"]}
    assert shown(encoder, {"items": ["a"]}, {"items": 4}) == {"items": ["a"]}
    assert shown(encoder, {"items": []}, {"items": 5}) == {"items": []}
    assert shown(encoder, {"items": ["z"]}, {"items": 6}) == {"items": ["z"]}


def test_control_channels_are_left_out_and_unversioned_values_still_shown() -> None:
    state = shown(StateEncoder(), {"__start__": {"x": 1}, "branch:to:riley": None, "topic": "soap"}, {})
    assert state == {"topic": "soap"}


def test_threads_keep_their_own_values_even_with_equal_versions_and_after_eviction() -> None:
    encoder = StateEncoder(threads=2)
    for thread in ("run_a", "run_b", "run_c"):  # run_a's record is evicted by run_c's
        state = json.loads(
            encoder.encode(thread, {"topic": thread, "items": [thread]}, {"topic": 1, "items": 1})
        )
        assert state == {"topic": thread, "items": [thread]}

    again = json.loads(
        encoder.encode("run_a", {"topic": "run_a", "items": ["run_a", "x"]}, {"topic": 1, "items": 2})
    )
    assert again == {"topic": "run_a", "items": ["run_a", "x"]}
