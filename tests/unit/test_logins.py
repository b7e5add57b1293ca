"""The login gate's backoff: a handful of failed logins an hour, whatever the resync interval."""

from __future__ import annotations

from reconciler.bigip.logins import CEILING, LoginGate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refusals_double_the_wait_up_to_the_ceiling_and_an_accepted_login_resets() -> None:
    clock, changes = Clock(), []
    gate = LoginGate(first_wait=60, on_change=changes.append, clock=clock)
    waits = []
    for _ in range(7):
        gate.refused("login refused: Authentication failed.")
        waits.append(gate.closed_for())
        clock.now += gate.closed_for()
    assert waits == [60, 120, 240, 480, 960, CEILING, CEILING]
    assert gate.state is not None and gate.state.since == 1000.0
    gate.accepted()
    assert gate.state is None and gate.closed_for() == 0 and changes[-1] is None


def test_hours_of_a_wrong_password_are_a_handful_of_failed_logins_each() -> None:
    clock = Clock()
    gate = LoginGate(first_wait=2, clock=clock)  # even with a 2 s resync interval
    per_hour = [0, 0, 0]
    for second in range(3600 * 3):  # three hours, a pass every second
        if gate.closed_for() == 0:
            per_hour[second // 3600] += 1
            gate.refused("login refused")
        clock.now += 1
    assert per_hour[0] <= 7
    assert per_hour[1] <= 3 and per_hour[2] <= 3
