"""The database backend: django-tenants' (one schema per city), with a connection health check
that costs no round trip when the connection is plainly alive.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every request
that reuses a connection. On the counter that was one of a payment's four round trips: a
statement for the backend to parse and run, and two more context switches, before any work
(docs/benchmarks.md). Here the check first asks the socket: a server that ends a connection
(a restart, ``pg_terminate_backend``, an idle-session timeout) sends its last message and closes
it, so an idle connection whose socket has anything to read, or is closed, has something to
say; only then is ``SELECT 1`` sent, and it fails on a dead connection as before, so Django
closes it and opens a new one. A quiet socket means the server has said nothing since the last
answer, and the connection is used as it is. (A peer that vanishes without closing, a host lost
on the network, is found by neither check before a timeout.)
"""

from __future__ import annotations

import select

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class DatabaseWrapper(TenantDatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            quiet = not poller.poll(0)
        except (OSError, ValueError):
            return False
        return True if quiet else super().is_usable()
