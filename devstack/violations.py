"""A broken invariant, and the list the checker's rules add them to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Doc = dict[str, Any]


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    payment_id: str | None = None
    key: str | None = None

    def to_dict(self) -> Doc:
        return asdict(self)


@dataclass
class Check:
    violations: list[Violation] = field(default_factory=list)

    def add(
        self, rule: str, message: str, payment_id: str | None = None, key: str | None = None
    ) -> None:
        self.violations.append(Violation(rule, message, payment_id, key))


def earlier(at: Any, previous: Any) -> bool:
    """`at` before `previous` (both datetimes, or both ISO strings); False if unknown."""
    comparable = at is not None and previous is not None and type(at) is type(previous)
    return bool(comparable and at < previous)


def generation(doc: Doc) -> int:
    """A document's attempt generation; the public API does not show every one (then 1)."""
    return int(doc.get("generation") or 1)
