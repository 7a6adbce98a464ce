"""The state machine: exactly the moves of docs/architecture.md, and random walks never break it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.errors import IllegalTransition
from shared.domain.states import (
    FINAL_STATES,
    TRANSITIONS,
    PaymentStatus,
    can_move,
    check_move,
    is_final,
)

S = PaymentStatus
LEGAL = {
    (S.CREATED, S.PROCESSING),
    (S.PROCESSING, S.SUCCESS),
    (S.PROCESSING, S.FAILED),
    (S.PROCESSING, S.RETRYING),
    (S.RETRYING, S.PROCESSING),
    (S.FAILED, S.RETRYING),
    # Money movements (DESIGN.md "Lifecycle"): an authorization, its capture or cancel, and
    # a merchant's cancel before the gateway answered.
    (S.PROCESSING, S.REQUIRES_CAPTURE),
    (S.REQUIRES_CAPTURE, S.SUCCESS),
    (S.REQUIRES_CAPTURE, S.CANCELED),
    (S.CREATED, S.CANCELED),
    (S.RETRYING, S.CANCELED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_the_documented_moves_are_legal(current: S, target: S) -> None:
    assert can_move(current, target) == ((current, target) in LEGAL)
    if (current, target) in LEGAL:
        check_move(current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_move(current, target)


def test_final_states() -> None:
    assert {S.SUCCESS, S.FAILED, S.CANCELED} == FINAL_STATES
    assert is_final("SUCCESS") and is_final(S.FAILED) and not is_final("RETRYING")
    assert is_final("CANCELED") and not is_final(S.REQUIRES_CAPTURE)
    assert TRANSITIONS[S.SUCCESS] == frozenset() == TRANSITIONS[S.CANCELED]


EVENTS = st.sampled_from(["deliver", "success", "timeout", "decline", "manual_retry", "dup"])


def _apply(
    state: S, attempts: int, event: str, max_attempts: int
) -> tuple[S, int, list[tuple[S, S]]]:
    """A model of the lifecycle's moves for one event; returns the moves it makes."""
    moves: list[tuple[S, S]] = []

    def move(target: S) -> None:
        nonlocal state
        if can_move(state, target):
            moves.append((state, target))
            state = target

    if event in ("deliver", "dup") and state in (S.CREATED, S.RETRYING):
        move(S.PROCESSING)
        attempts += 1
    elif event == "success" and state == S.PROCESSING:
        move(S.SUCCESS)
    elif event == "decline" and state == S.PROCESSING:
        move(S.FAILED)
    elif event == "timeout" and state == S.PROCESSING:
        move(S.FAILED if attempts >= max_attempts else S.RETRYING)
    elif event == "manual_retry" and state == S.FAILED:
        move(S.RETRYING)
        attempts = 0
    return state, attempts, moves


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENTS, max_size=40), st.integers(min_value=1, max_value=5))
def test_random_event_sequences_never_make_an_illegal_move(
    events: list[str], max_attempts: int
) -> None:
    state, attempts = S.CREATED, 0
    history: list[tuple[S, S]] = []
    for event in events:
        state, attempts, moves = _apply(state, attempts, event, max_attempts)
        history.extend(moves)
    for current, target in history:
        assert (current, target) in LEGAL
    # Moves chain: each starts where the previous ended; the payment is never lost.
    position = S.CREATED
    for current, target in history:
        assert current == position
        position = target
    assert position == state
    assert attempts <= max_attempts
