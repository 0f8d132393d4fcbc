"""A message's header fields indexed by lower-cased name, built once per analysis."""

from __future__ import annotations

from dataclasses import dataclass

from pollwatch.models import ParsedMessage

__all__ = ["HeaderIndex"]


@dataclass(frozen=True)
class HeaderIndex:
    """``name -> ((position, value), ...)`` in message order (top first)."""

    fields: dict[str, tuple[tuple[int, str], ...]]
    count: int

    @classmethod
    def of(cls, parsed: ParsedMessage) -> HeaderIndex:
        fields: dict[str, list[tuple[int, str]]] = {}
        for position, header in enumerate(parsed.headers):
            fields.setdefault(header.name.lower(), []).append((position, header.value))
        return cls({name: tuple(found) for name, found in fields.items()}, len(parsed.headers))

    def first(self, name: str) -> str | None:
        found = self.fields.get(name)
        return found[0][1] if found else None

    def all(self, name: str) -> tuple[str, ...]:
        return tuple(value for _, value in self.fields.get(name, ()))

    def positions(self, name: str) -> tuple[int, ...]:
        return tuple(position for position, _ in self.fields.get(name, ()))

    def received_positions(self) -> tuple[int, ...]:
        """Position of each Received header, origin-most (bottom) first."""
        return tuple(reversed(self.positions("received")))
