"""The Redis client of a Redis cache, made once and kept.

Django's RedisCache builds a new redis.Redis object for every cache call, and
building one costs more CPU than the round trip it makes (redis-py fills a table
of about 160 reply handlers each time): the intake POST made six of them. The
client is only a front to the cache's connection pool and is safe to share, so
code that talks to Redis on a hot path (admissions/limits.py) asks for this one.
"""

from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def redis_client(alias: str = "default"):
    """The redis.Redis client writing to the cache `alias`, over that cache's own
    connection pool, kept for as long as that pool; None when the cache is not
    Redis (the in-memory cache of `make run` and of tests without Redis)."""
    backend = caches[alias]  # this thread's backend, as django.core.cache.cache is
    if not isinstance(backend, RedisCache):
        return None
    cache_client: Any = backend._cache  # Django's RedisCacheClient, its pools inside
    pool = cache_client._get_connection_pool(write=True)
    kept = getattr(cache_client, "_kept_redis_client", None)
    if kept is None or kept.connection_pool is not pool:
        kept = cache_client._client(connection_pool=pool)
        cache_client._kept_redis_client = kept
    return kept
