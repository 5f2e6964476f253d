"""Small database helpers shared by apps."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction


def schema_name() -> str:
    """The schema of the city this connection serves (django-tenants sets it on the
    connection; ``public`` outside any city)."""
    return str(getattr(connection, "schema_name", "public"))


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


def instance_from_values(model, values: dict):
    """A model instance from a raw query's values by attribute name; the fields not given are
    deferred (loaded on access), as with ``.only()``. ``Model.from_db`` wants the values in the
    model's field order, which a hand-written SELECT easily gets wrong; this puts them right."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    if len(names) != len(values):
        unknown = set(values) - set(names)
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
    return model.from_db("default", names, [values[name] for name in names])
