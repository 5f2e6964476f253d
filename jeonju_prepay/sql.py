"""SQL scripts in migrations: one statement per ``execute``.

Citus forwards the text of some DDL (``CREATE TRIGGER``, ``CREATE INDEX``) to the worker that
holds a city, as it was sent; a string holding several statements then fails there ("cannot
insert multiple commands into a prepared statement"). ``RunSQL(sql_statements(SCRIPT), ...)``
sends a script's statements one by one, which changes nothing on a single PostgreSQL.
"""

from __future__ import annotations


def sql_statements(script: str) -> list[str]:
    """The statements of ``script``, each without its ending ``;``, blank ones dropped.

    Splits at ``;`` outside quoted text: '...' strings, "..." identifiers, dollar-quoted bodies
    (``$$ ... $$``, ``$body$ ... $body$``) and comments.

    >>> sql_statements("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT ';'")
    ['CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql', "SELECT ';'"]
    """
    statements: list[str] = []
    start = i = 0
    n = len(script)
    while i < n:
        ch = script[i]
        if ch == "'" or ch == '"':
            end = script.find(ch, i + 1)
            while end != -1 and script[end + 1 : end + 2] == ch:  # a doubled quote inside
                end = script.find(ch, end + 2)
            i = n if end == -1 else end + 1
        elif ch == "-" and script.startswith("--", i):
            end = script.find("\n", i)
            i = n if end == -1 else end + 1
        elif ch == "/" and script.startswith("/*", i):
            end = script.find("*/", i + 2)
            i = n if end == -1 else end + 2
        elif ch == "$":
            end_tag = script.find("$", i + 1)
            tag = script[i : end_tag + 1] if end_tag != -1 else ""
            if tag and (tag == "$$" or tag[1:-1].replace("_", "a").isalnum()):
                close = script.find(tag, end_tag + 1)
                i = n if close == -1 else close + len(tag)
            else:
                i += 1
        elif ch == ";":
            statements.append(script[start:i])
            start = i = i + 1
        else:
            i += 1
    statements.append(script[start:])
    return [s.strip() for s in statements if s.strip()]


def sql_file(app: str, name: str) -> str:
    """The text of ``<app>/sql/<name>.sql``: one PL/pgSQL function, or one trigger, per file
    (STYLE.md). A change to it is a diff of the file plus a one-line migration that runs it
    again (``sql_file_operation``); every migration that defines the object loads the file, so
    the object's text is written once."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    return (root / app / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def sql_file_operation(app: str, name: str, reverse: str | None = None):
    """A ``RunSQL`` that (re)creates ``<app>/sql/<name>.sql``, one statement at a time (Citus
    forwards DDL text to the workers one statement per command). Files define their object
    with ``CREATE OR REPLACE`` (a trigger: ``DROP TRIGGER IF EXISTS`` then ``CREATE``), so
    running one again is harmless."""
    from django.db import migrations

    return migrations.RunSQL(
        sql_statements(sql_file(app, name)),
        sql_statements(reverse) if reverse else migrations.RunSQL.noop,
    )
