"""What every app's ``demo.py`` receives from ``seed_demo``: the city and what earlier apps made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DemoContext:
    city: Any
    users: dict[str, Any] = field(default_factory=dict)
    shops: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_main_city(self) -> bool:
        return self.city.schema_name == "jeonju"
