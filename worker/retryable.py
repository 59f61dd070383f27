"""Which errors mean "a service is away, try again later" rather than "this input is bad"."""

from __future__ import annotations

import socket


def is_connection_error(exc: BaseException) -> bool:
    """True for a lost or refused database or broker connection (worth retrying as is)."""
    from kombu.exceptions import OperationalError as BrokerError
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout

        redis_errors: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeout)
    except ImportError:  # pragma: no cover - redis is a dependency of the scaled-out mode
        redis_errors = ()
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, (OperationalError, InterfaceError, BrokerError, *redis_errors)):
            return True
        if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout, socket.gaierror)):
            return True
        exc = exc.__cause__  # type: ignore[assignment]  # an explicit wrapper only
    return False
