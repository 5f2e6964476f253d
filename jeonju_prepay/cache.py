"""Django's Redis cache with one redis-py client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call.
redis-py's constructor fills its table of about 170 response callbacks each time, which costs
more CPU than the call's round trip: cProfile put it at a third of the Redis time of a charge
day's queue request. A client is safe to share between threads (each command takes a
connection from the pool and gives it back), and the pool already lives as long as the cache
backend, so the client may too. Everything else is Django's backend unchanged.

redis-py is imported with the backend (Django imports it at the first cache call): 0.26 s that
would otherwise land in the first request a fresh gunicorn worker serves (jeonju_prepay/wsgi.py
builds the caches as the worker starts)."""

from __future__ import annotations

import redis  # noqa: F401
from django.core.cache.backends import redis as django_redis


class PooledRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """``CACHES[...]["BACKEND"] = "jeonju_prepay.cache.RedisCache"``."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
