"""Service transactions without needless savepoints.

Every write service runs in one transaction (``@service`` does what ``@transaction.atomic``
does). Called inside a caller's transaction, ``atomic`` takes a savepoint so that the caller
could catch the service's error and carry on: two statements (SAVEPOINT, RELEASE) per call.
A use case that calls several services and never carries on after an error — any exception
rolls its whole block back — says so with ``all_or_nothing()``; the services it calls
*directly* inside that block join its transaction without savepoints of their own.

An error in such a service marks the block for rollback (Django's ``needs_rollback``): the
block must let the exception leave (it may re-raise it as another exception, without running
a query first). Services called by those services, and event subscribers, are not direct
calls: they take their savepoints as before, so code that recovers from their errors keeps
working.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_whole: ContextVar[bool] = ContextVar("voronka_all_or_nothing", default=False)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """A transaction (a savepoint when nested) that any exception rolls back whole; the
    services called directly inside take no savepoints."""
    with transaction.atomic():
        token = _whole.set(True)
        try:
            yield
        finally:
            _whole.reset(token)


def service(func: Callable[P, R]) -> Callable[P, R]:
    """Run a write service in one transaction, like ``@transaction.atomic``; directly inside
    ``all_or_nothing()`` it joins that transaction without a savepoint."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        joined = _whole.get() and transaction.get_connection().in_atomic_block
        with transaction.atomic(savepoint=not joined):
            token = _whole.set(False)  # what this service calls is not a direct call
            try:
                return func(*args, **kwargs)
            finally:
                _whole.reset(token)

    return run
