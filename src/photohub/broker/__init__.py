"""Live fan-out between processes: a narrow interface, an in-process and a Redis backend."""

from __future__ import annotations

from photohub.broker.base import Broker


def create_broker(redis_url: str, prefix: str = "photohub:") -> Broker:
    """The Redis broker when a URL is given, else the in-process one."""
    if redis_url:
        from photohub.broker.redis import RedisBroker

        return RedisBroker(redis_url, prefix)
    from photohub.broker.memory import MemoryBroker

    return MemoryBroker()


__all__ = ["Broker", "create_broker"]
