"""`paygate listen`'s cursor: which events a poll asks for, which of them are new, what a
restart remembers (pure; the command itself runs against the stack in tests/e2e)."""

from __future__ import annotations

from pathlib import Path

from devstack.listen import Forwarded, ListenState, event_line

LOOKBACK = 30.0


def ev(event_id: str, created_at: str, event_type: str = "payment.succeeded") -> dict[str, str]:
    return {"id": event_id, "type": event_type, "created_at": created_at}


def test_a_poll_looks_back_from_the_newest_event_handled() -> None:
    state = ListenState(secret="whsec_x", cursor="2026-01-01T12:00:40.000Z")
    assert state.query_from(LOOKBACK) == "2026-01-01T12:00:10.000Z"
    state.floor = "2026-01-01T12:00:20.000Z"  # --since: never before it
    assert state.query_from(LOOKBACK) == "2026-01-01T12:00:20.000Z"
    assert ListenState(secret="whsec_x").query_from(LOOKBACK) is None


def test_an_event_committed_late_inside_the_lookback_is_sent_once() -> None:
    state = ListenState(secret="whsec_x")
    first = [ev("evt_b", "2026-01-01T12:00:05.000Z"), ev("evt_a", "2026-01-01T12:00:01.000Z")]
    assert [e["id"] for e in state.new(first)] == ["evt_a", "evt_b"]  # oldest first
    for event in state.new(first):
        state.handled(event, LOOKBACK)
    # evt_late was created before evt_b but committed after it was handled.
    second = [*first, ev("evt_late", "2026-01-01T12:00:03.000Z")]
    assert [e["id"] for e in state.new(second)] == ["evt_late"]
    state.handled(second[-1], LOOKBACK)
    assert state.new(second) == []
    assert state.cursor == "2026-01-01T12:00:05.000Z"


def test_ids_older_than_the_window_are_forgotten() -> None:
    state = ListenState(secret="whsec_x")
    state.handled(ev("evt_old", "2026-01-01T12:00:00.000Z"), LOOKBACK)
    state.handled(ev("evt_new", "2026-01-01T12:01:00.000Z"), LOOKBACK)
    assert set(state.seen) == {"evt_new"}  # evt_old can no longer come back in a poll


def test_since_keeps_earlier_events_out() -> None:
    state = ListenState(secret="whsec_x", cursor="2026-01-01T12:00:10.000Z")
    state.floor = "2026-01-01T12:00:10.000Z"
    events = [
        ev("evt_before", "2026-01-01T12:00:09.999Z"),
        ev("evt_at", "2026-01-01T12:00:10.000Z"),
    ]
    assert [e["id"] for e in state.new(events)] == ["evt_at"]


def test_the_state_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "listen.json"
    state = ListenState(secret="whsec_x", floor="2026-01-01T12:00:00.000Z")
    state.handled(ev("evt_a", "2026-01-01T12:00:01.000Z"), LOOKBACK)
    state.save(path)
    loaded = ListenState.load(path)
    assert loaded == state
    assert not (tmp_path / "listen.json.tmp").exists()
    assert ListenState.load(tmp_path / "missing.json") is None


def test_a_line_says_when_what_which_and_the_answer() -> None:
    event = ev("evt_a", "2026-01-01T12:00:01.000Z", "refund.failed")
    ok = event_line(event, Forwarded(200, 12.4, None, 1))
    assert ok.split() == ["2026-01-01T12:00:01.000Z", "refund.failed", "evt_a", "[200]", "12", "ms"]
    down = event_line(event, Forwarded(None, 3.0, "ConnectError", 3))
    assert "[error: ConnectError]" in down and down.endswith("after 3 tries")
