"""Logging a service outage once, not once per try.

A background loop whose database or Redis went away fails on every poll until it comes
back; a traceback per try buries the one line an operator needs. :class:`Outage` logs
the first failure of a run of them (a warning naming what failed, no traceback), stays
quiet while it lasts, and logs once more when a try succeeds again. Its :meth:`delay`
is the backoff the loop waits before the next try.
"""

from __future__ import annotations

import logging
import time

FIRST_DELAY = 0.25  # seconds before the first retry
MAX_DELAY = 5.0  # a service coming back is noticed within this


class Outage:
    def __init__(self, log: logging.Logger, what: str) -> None:
        """``what`` names the work that fails, e.g. ``push delivery``."""
        self.log = log
        self.what = what
        self.failures = 0
        self.since = 0.0

    @property
    def ongoing(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> None:
        """A try failed: logged if it is the first of an outage (with its traceback
        unless it is a service out of reach, which is no bug)."""
        self.failures += 1
        if self.failures == 1:
            self.since = time.monotonic()
            self.log.warning(
                "%s failed: %s: %s; retrying quietly until it works again",
                self.what,
                type(exc).__name__,
                str(exc).strip() or "(no message)",
                exc_info=None if unreachable(exc) else exc,
            )

    def recovered(self) -> None:
        """A try succeeded: the end of an outage, if there was one, is logged."""
        if self.failures:
            self.log.warning(
                "%s works again after %d failed tries in %.1f s",
                self.what,
                self.failures,
                time.monotonic() - self.since,
            )
        self.failures = 0

    def delay(self, base: float) -> float:
        """Seconds to wait before the next try: ``base`` without an outage, else a
        backoff doubling from FIRST_DELAY up to MAX_DELAY (and not under ``base``, when
        ``base`` is under MAX_DELAY)."""
        if not self.failures:
            return base
        backoff = min(MAX_DELAY, FIRST_DELAY * 2.0 ** min(self.failures - 1, 16))
        return max(min(base, MAX_DELAY), backoff)


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says a service (the database, Redis) is out of reach, rather
    than that the code is wrong."""
    import sqlalchemy as sa

    kinds: tuple[type[BaseException], ...] = (
        OSError,
        TimeoutError,
        sa.exc.OperationalError,
        sa.exc.InterfaceError,
    )
    try:
        import redis.exceptions
    except ImportError:  # pragma: no cover (redis is a dependency)
        pass
    else:
        kinds += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
    if isinstance(exc, kinds):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)
