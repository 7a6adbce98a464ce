"""Readiness of the stack's Mongo: the Mongo-wire server answering a ping, not a port that
merely accepts connections (a request reaching nx-27017 before it answers commands got a 503)."""

from __future__ import annotations

import socket

from devstack.processes import ManagedProcess, mongo_check, tcp_check
from devstack.stack import StackConfig


def test_mongo_is_ready_once_it_answers_a_ping(
    stack_cfg: StackConfig, mongo_service: ManagedProcess
) -> None:
    assert mongo_check(stack_cfg.mongo_port, stack_cfg.host)()


def test_a_port_that_accepts_but_does_not_answer_is_not_ready() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts (the kernel's backlog), never answers a command
        port = int(silent.getsockname()[1])
        assert tcp_check(port)()
        assert not mongo_check(port)()


def test_nothing_listening_is_not_ready() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as unused:
        unused.bind(("127.0.0.1", 0))
        port = int(unused.getsockname()[1])
    assert not mongo_check(port)()
