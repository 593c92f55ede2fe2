"""The failure counter against password guessing (domain/throttle.py)."""

from __future__ import annotations

from photohub.domain.throttle import Throttle


def test_a_key_is_refused_after_its_limit_until_the_window_passes() -> None:
    throttle = Throttle(3, 60.0)
    for second in range(3):
        assert throttle.retry_after("ana", 100.0 + second) == 0
        throttle.fail("ana", 100.0 + second)
    assert throttle.retry_after("ana", 103.0) == 57.0
    assert throttle.retry_after("bea", 103.0) == 0
    assert throttle.retry_after("ana", 160.5) == 0  # the first failure left the window


def test_reset_forgets_a_key() -> None:
    throttle = Throttle(2, 60.0)
    throttle.fail("ana", 0.0)
    throttle.fail("ana", 1.0)
    assert throttle.retry_after("ana", 2.0) > 0
    throttle.reset("ana")
    assert throttle.retry_after("ana", 2.0) == 0


def test_memory_stays_bounded() -> None:
    throttle = Throttle(5, 60.0, max_keys=100)
    for n in range(10_000):
        throttle.fail(f"key{n}", float(n) / 1000)
    assert len(throttle._failures) == 100
    for _ in range(50):
        throttle.fail("one", 1.0)
    assert len(throttle._failures["one"]) == 5
