"""Which delivery queues a site uses: Redis lists when ``PHOTOHUB_REDIS_URL`` is set
(several worker processes), else tables in the site's database."""

from __future__ import annotations

from photohub.broker.queues import DeliveryQueues
from photohub.store.db import Database
from photohub.store.push_queue import SqlQueues


def create_queues(db: Database, redis_url: str, prefix: str = "photohub:") -> DeliveryQueues:
    if redis_url:
        from photohub.broker.queues_redis import RedisQueues

        return RedisQueues(redis_url, prefix)
    return SqlQueues(db)
