"""A failure counter against password guessing (pure: the caller passes the clock).

Each key (a username, an address) may fail ``limit`` times within ``window`` seconds;
after that it is refused until its oldest failure leaves the window. The counts live in
one process's memory: several processes each keep their own, which multiplies the limit
by their number but still turns millions of guesses into a handful.
"""

from __future__ import annotations

from collections import deque


class Throttle:
    def __init__(self, limit: int, window: float, *, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        failures = self._recent(key, now)
        if failures is None or len(failures) < self.limit:
            return 0.0
        return max(0.0, failures[0] + self.window - now)

    def fail(self, key: str, now: float) -> None:
        failures = self._recent(key, now)
        if failures is None:
            if len(self._failures) >= self.max_keys:
                # Forget the key that failed first: memory stays bounded whatever is sent.
                del self._failures[next(iter(self._failures))]
            failures = self._failures[key] = deque()
        failures.append(now)
        while len(failures) > self.limit:
            failures.popleft()

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures
