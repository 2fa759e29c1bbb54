"""One page of a list: the shape every list page's pagination macro reads.

Flask-SQLAlchemy's ``db.paginate`` builds ORM objects; pages that read plain
rows (the catalog's cards) count and fetch themselves and wrap the result in
``Page`` so the same ``pagination(page)`` macro renders them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def iter_pages(
        self, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2
    ) -> Iterator[int | None]:
        """Page numbers to link, with None where a run of them is left out (…)."""
        last = 0
        for number in range(1, self.pages + 1):
            near_edge = number <= left_edge or number > self.pages - right_edge
            near_current = self.page - left_current <= number < self.page + right_current
            if near_edge or near_current:
                if last + 1 != number:
                    yield None
                yield number
                last = number


def page_number(raw: str | None, limit: int = 100_000) -> int:
    """A ?page= value as a page number: anything invalid is page 1."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) <= limit else 1
