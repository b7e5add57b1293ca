"""The changed object is read when its notification arrives, and that answer is used only
if the read began after the object's last notification (``daemon/prefetch.py``)."""

from __future__ import annotations

import threading
from typing import Any

from vnc_api.exceptions import NoIdError

from reconciler.contrail.changes import Change
from reconciler.daemon.prefetch import IN_FLIGHT, Prefetch

MEMBER = Change("loadbalancer_member", "m-1")


class Server:
    """Answers each GET with the object's current version; ``hold`` keeps reads waiting."""

    def __init__(self) -> None:
        self.version = 1
        self.calls: list[tuple[str, str]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.gone = False

    def read(self, method: str, uuid: str) -> Any:
        self.calls.append((method, uuid))
        version = self.version
        self.hold.wait(5)
        if self.gone:
            raise NoIdError(uuid)
        return {"uuid": uuid, "version": version}


def test_the_read_made_at_the_notification_is_the_one_the_reconcile_uses() -> None:
    server = Server()
    prefetch = Prefetch(server.read)
    prefetch.notice(MEMBER)
    assert prefetch.take([MEMBER]) == {MEMBER: {"uuid": "m-1", "version": 1}}
    assert server.calls == [("loadbalancer_member_read", "m-1")]
    assert prefetch.take([MEMBER]) == {}  # taken once; a later reconcile reads it itself


def test_an_answer_older_than_the_last_notification_is_not_used() -> None:
    server = Server()
    prefetch = Prefetch(server.read)
    server.hold.clear()
    for _ in range(IN_FLIGHT):  # every slot busy: the next notification starts no read
        prefetch.notice(Change("loadbalancer_pool", f"p-{_}"))
    prefetch.notice(MEMBER)
    server.hold.set()
    assert MEMBER not in prefetch.take([MEMBER])  # the reconcile must read it itself


def test_a_read_begun_before_a_second_notification_is_dropped_for_the_newer_one() -> None:
    server = Server()
    prefetch = Prefetch(server.read)
    server.hold.clear()
    prefetch.notice(MEMBER)  # its read waits, holding version 1
    server.version = 2
    prefetch.notice(MEMBER)  # a second change: a second read, begun after it
    server.hold.set()
    assert prefetch.take([MEMBER]) == {MEMBER: {"uuid": "m-1", "version": 2}}


def test_an_object_gone_is_an_answer_and_a_failed_read_is_not() -> None:
    server = Server()
    prefetch = Prefetch(server.read)
    server.gone = True
    prefetch.notice(MEMBER)
    (answer,) = prefetch.take([MEMBER]).values()
    assert isinstance(answer, NoIdError)

    def broken(method: str, uuid: str) -> Any:
        raise ConnectionError("reset by peer")

    failing = Prefetch(broken)
    failing.notice(MEMBER)
    assert failing.take([MEMBER]) == {}  # the reconcile's own read reports the failure
