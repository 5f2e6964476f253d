"""Demo districts: Jeonju's 35 행정동 and Wanju's 13 읍·면 (``districts.data``)."""

from .data import KNOWN
from .services import districts_load


def seed(ctx) -> None:
    rows = KNOWN.get(ctx.city.schema_name, [])
    added = districts_load(rows=rows)
    if added:
        ctx.notes.append(f"Districts: {added} loaded; staff@demo.kr keeps them at /districts/.")
