"""Small database helpers shared by apps."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def snapshot(*, read_only: bool = True):
    """One consistent REPEATABLE READ snapshot for a set of reads (reports, checks).

    Inside an existing transaction the caller's snapshot is used as it is.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            mode = " READ ONLY" if read_only else ""
            cursor.execute(f"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ{mode}")
        yield
