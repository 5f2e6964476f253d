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
