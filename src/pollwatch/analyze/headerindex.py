"""A message's header fields by lower-cased name, built once per analysis.

The names are lower-cased in one pass and their first and last positions
mapped in C; a name's fields are listed when asked for (the path analysis
reads about twenty names of the fifty or more a message carries, most of
them absent or single).
"""

from __future__ import annotations

from pollwatch.models import Header, ParsedMessage

__all__ = ["HeaderIndex"]

Found = tuple[tuple[int, str], ...]  # (position, value) of each field, top first


class HeaderIndex:
    """``name -> ((position, value), ...)`` in message order (top first)."""

    __slots__ = ("_first", "_last", "_names", "count", "headers")

    def __init__(self, headers: tuple[Header, ...]) -> None:
        self.headers = headers
        self.count = len(headers)
        names = self._names = _lower_names(headers)
        positions = range(self.count)
        self._last = dict(zip(names, positions, strict=True))  # in C: later positions win
        self._first = dict(zip(reversed(names), reversed(positions), strict=True))

    @classmethod
    def of(cls, parsed: ParsedMessage) -> HeaderIndex:
        return cls(parsed.headers)

    def get(self, name: str) -> Found:
        """The fields called ``name`` (lower case), top first."""
        last = self._last.get(name)
        if last is None:
            return ()
        headers, position = self.headers, self._first[name]
        found = [(position, headers[position].value)]
        while position < last:
            position = self._names.index(name, position + 1, last + 1)
            found.append((position, headers[position].value))
        return tuple(found)

    def first(self, name: str) -> str | None:
        found = self.get(name)
        return found[0][1] if found else None

    def all(self, name: str) -> tuple[str, ...]:
        return tuple(value for _, value in self.get(name))

    def positions(self, name: str) -> tuple[int, ...]:
        return tuple(position for position, _ in self.get(name))

    def received_positions(self) -> tuple[int, ...]:
        """Position of each Received header, origin-most (bottom) first."""
        return tuple(reversed(self.positions("received")))


def _lower_names(headers: tuple[Header, ...]) -> list[str]:
    """Each field name lower-cased: one ``lower`` over the joined ASCII names."""
    names = [header.name for header in headers]
    joined = "\n".join(names)
    if joined.isascii():
        lowered = joined.lower().split("\n")
        if len(lowered) == len(names):  # no name held a newline
            return lowered
    return [name.lower() for name in names]
