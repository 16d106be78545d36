"""One Redis client per process, on CKAN's own connection pool (``ckan.lib.redis``).

``connect_to_redis()`` builds a new ``redis.Redis`` at each call, its table of response
callbacks included: about a tenth of a millisecond each time. An anonymous request asks
several times (the catalogue's version, the page cache, the API's rate limit), so every
DataSud module uses this one instead. A client is thread-safe, and its pool opens new
connections after a fork (redis-py checks the process id).
"""
from __future__ import annotations

import functools

from ckan.lib.redis import connect_to_redis
from redis import Redis


@functools.lru_cache(maxsize=1)
def connection() -> Redis:
    return connect_to_redis()
