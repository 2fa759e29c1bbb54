"""The catalog query: filters, sorting and ranked full-text search on SQLite and PostgreSQL.

Both databases answer the same query the same way: every word must match, each
as a prefix (as people type), accents and case folded, ranked title first,
then subtitle and instructor names, then description and outcomes.

- PostgreSQL matches a stored, GIN-indexed ``search_vector`` (migration
  0004_catalog_search) holding each word as written and stemmed in the course's
  language, ranked by ``ts_rank``.
- SQLite matches the FTS5 table ``catalog_courses_fts``, ranked by ``bm25``.

Triggers keep both in step with courses, their instructors and users' names,
so a renamed instructor is found under the new name at once.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from lms.extensions import db
from lms.i18n import _, _l
from lms.models import User
from lms.pagination import Page
from lms_catalog.forms import LANGUAGES
from lms_catalog.models import LEVELS, Category, Course, CourseInstructor, price_label
from lms_catalog.roles import INSTRUCTOR

SORTS = {
    "relevance": _l("Best match"),
    "newest": _l("Newest"),
    "popular": _l("Most popular"),
    "rating": _l("Best rated"),
    "title": _l("Title (A-Z)"),
}
PRICES = ("free", "paid")
QUERY_MAX = 200
_MAX_TERMS = 8
# Totals are counted up to this many rows (rounded up to cover the pages ahead
# of the one shown), so a page never counts a whole large catalog.
COUNT_STEP = 500
COUNT_PAGES_AHEAD = 10

_TEXTS = ARRAY(Text)
_SEARCH_VECTOR = literal_column("catalog_courses.search_vector")
_FTS = table("catalog_courses_fts", column("rowid"))
_FTS_NAME = literal_column("catalog_courses_fts")
_FTS_WEIGHTS = (8, 4, 4, 1)  # title, subtitle, names, body: the FTS5 table's columns
_MARK = "\x01"
_Searched = tuple[Select[Any], Callable[[int], Subquery]]
# How many of the newest courses PostgreSQL checks first, per row of the window.
_SCAN_FACTOR = 10


@dataclass
class CatalogQuery:
    q: str = ""
    category: str = ""
    level: str = ""
    language: str = ""
    price: str = ""
    sort: str = ""

    @property
    def effective_sort(self) -> str:
        if self.sort and self.sort in SORTS and (self.sort != "relevance" or self.q):
            return self.sort
        return "relevance" if self.q else "newest"

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.category or self.level or self.language or self.price)


def parse_query(args: Any) -> tuple[CatalogQuery, dict[str, list[str]]]:
    """Read the catalog's query arguments; return the query and any field errors."""
    errors: dict[str, list[str]] = {}

    def arg(name: str) -> str:
        value = args.get(name)
        return value.strip() if isinstance(value, str) else ""

    query = CatalogQuery(
        q=" ".join(arg("q").split()),
        category=arg("category").lower(),
        level=arg("level").lower(),
        language=arg("language"),
        price=arg("price").lower(),
        sort=arg("sort").lower(),
    )
    if len(query.q) > QUERY_MAX:
        errors["q"] = [_("Search for at most %(num)d characters.", num=QUERY_MAX)]
        query.q = query.q[:QUERY_MAX]
    if query.level and query.level not in LEVELS:
        errors["level"] = [_("Choose one of: %(choices)s.", choices=", ".join(LEVELS))]
        query.level = ""
    if query.price and query.price not in PRICES:
        errors["price"] = [_('Use "free" or "paid".')]
        query.price = ""
    if query.sort and query.sort not in SORTS:
        errors["sort"] = [_("Choose one of: %(choices)s.", choices=", ".join(SORTS))]
        query.sort = ""
    if len(query.language) > 10:
        errors["language"] = [_("Use a language code such as en or fr.")]
        query.language = ""
    if len(query.category) > 80:
        errors["category"] = [_("No such category.")]
        query.category = ""
    return query, errors


def published() -> ColumnElement[bool]:
    return and_(Course.status == "published", Course.deleted_at.is_(None))


def search_terms(q: str) -> list[str]:
    """Split a search into words the way both databases' tokenizers do (letters, digits, marks)."""
    terms: list[str] = []
    word: list[str] = []
    for char in q + " ":
        if unicodedata.category(char)[0] in "LNM" or unicodedata.category(char) == "Co":
            word.append(char)
        elif word:
            terms.append("".join(word))
            word = []
    # A run of marks alone (a stray accent) is no word to either database.
    words = [t for t in terms if any(unicodedata.category(c)[0] in "LN" for c in t)]
    return list(dict.fromkeys(words))[:_MAX_TERMS]


def _sqlite_search(stmt: Select[Any], terms: list[str], _languages: list[str]) -> _Searched:
    # Quoting keeps FTS5's query syntax out of what people type.
    words = [f'"{term}"' for term in terms]
    words[-1] += "*"
    matching = stmt.join(_FTS, _FTS.c.rowid == Course.id).where(
        _FTS_NAME.op("MATCH")(" ".join(words))
    )

    def window(size: int) -> Subquery:
        # FTS5 walks its matches newest first by rowid and stops at the limit.
        # The score weighs the columns a match falls in (title 8, subtitle and
        # names 4, text 1), read from each row alone: bm25's word statistics
        # read every match of every word first, twice the window's cost at
        # 50,000 courses (bench/catalog_scale.py).
        score = sum(
            weight * (func.instr(func.highlight(_FTS_NAME, number, _MARK, ""), _MARK) > 0)
            for number, weight in enumerate(_FTS_WEIGHTS)
        )
        return (
            matching.with_only_columns(Course.id, score.label("score"), maintain_column_froms=True)
            .order_by(_FTS.c.rowid.desc())
            .limit(size)
            .subquery("ranked")
        )

    return matching, window


def _postgres_search(stmt: Select[Any], terms: list[str], languages: list[str]) -> _Searched:
    # catalog_search_query() (migration 0004) folds, stems and quotes each word.
    tsquery = func.catalog_search_query(literal(terms, _TEXTS), literal(languages, _TEXTS))
    matches = _SEARCH_VECTOR.op("@@")(tsquery)

    def window(size: int) -> Subquery:
        # The planner cannot tell how many courses a prefix ("pract:*") matches
        # (it assumes 2%), so the query tries both ways and runs only one:
        # the newest courses first, which finds a common word's matches at once;
        # only when they hold too few, the GIN index for all the matches.
        newest = (
            stmt.with_only_columns(Course.id, _SEARCH_VECTOR.label("doc"))
            .order_by(Course.id.desc())
            .limit(size * _SCAN_FACTOR)
            .subquery("newest")
        )
        among_newest = (
            select(newest.c.id, func.ts_rank(newest.c.doc, tsquery).label("score"))
            .where(newest.c.doc.op("@@")(tsquery))
            .order_by(newest.c.id.desc())
            .limit(size)
            .cte("among_newest")
        )
        found = select(func.count()).select_from(among_newest).scalar_subquery()
        everywhere = (
            stmt.where(matches)
            .with_only_columns(Course.id, func.ts_rank(_SEARCH_VECTOR, tsquery).label("score"))
            .order_by(Course.id.desc())
            .limit(size)
            .subquery("everywhere")
        )
        return union_all(
            select(among_newest.c.id, among_newest.c.score).where(found >= size),
            select(everywhere.c.id, everywhere.c.score).where(found < size),
        ).subquery("ranked")

    return stmt.where(matches), window


def count_limit(page: int, per_page: int) -> int:
    """Return how many rows a page counts (and a search ranks) at most: those ahead of it."""
    return COUNT_STEP * math.ceil((page + COUNT_PAGES_AHEAD) * per_page / COUNT_STEP)


def catalog_statement(query: CatalogQuery, page: int = 1, per_page: int = 24) -> Select[Any]:
    """Return the SELECT of published courses matching `query`, sorted, for reading `page`.

    Every word of a search must match, the last one as a prefix (people type
    "python da" for Python for Data Science). Ranking by relevance scores a
    window of the matches, the newest first, as large as the pages counted
    ahead of `page`: a word that a large catalog's every course carries costs
    no more than that window, and narrowing the search brings older courses in.
    """
    stmt = select(Course).where(published())
    if query.category:
        stmt = stmt.join(Category, Category.id == Course.category_id).where(
            Category.slug == query.category
        )
    if query.level:
        stmt = stmt.where(Course.level == query.level)
    if query.language:
        stmt = stmt.where(func.lower(Course.language) == query.language.lower())
    if query.price == "free":
        stmt = stmt.where(Course.price_cents == 0)
    elif query.price == "paid":
        stmt = stmt.where(Course.price_cents > 0)
    terms = search_terms(query.q)
    sort = query.effective_sort
    if terms:
        search = _postgres_search if db.engine.dialect.name == "postgresql" else _sqlite_search
        languages = [query.language] if query.language else [code for code, _ in LANGUAGES]
        stmt, window_of = search(stmt, terms, languages)
        if sort == "relevance":
            # One row past the counted ones, so the count can tell "more".
            window = window_of(count_limit(page, per_page) + 1)
            return (
                select(Course)
                .join(window, window.c.id == Course.id)
                .order_by(window.c.score.desc(), Course.enrollment_count.desc(), Course.id.desc())
            )
    order: list[Any]
    if sort == "popular":
        order = [Course.enrollment_count.desc()]
    elif sort == "rating":
        order = [Course.rating_average.desc(), Course.rating_count.desc()]
    elif sort == "title":
        order = [func.lower(Course.title).asc()]
    else:
        order = [Course.published_at.desc()]
    # A unique tie-breaker keeps pages stable: no course shows up on two pages.
    return stmt.order_by(*order, Course.id.desc())


@dataclass(frozen=True, slots=True)
class CourseCard:
    """What a catalog card shows, read as plain rows.

    The catalog page lists many courses; building full ORM objects (Markdown
    texts, instructors' accounts) for them took most of its time
    (bench/catalog.py), so it reads just these columns instead. The names match
    Course's, so the same card macro renders either.
    """

    id: int
    slug: str
    title: str
    subtitle: str | None
    level: str
    language: str
    price_cents: int
    enrollment_count: int
    rating_average: float
    rating_count: int
    thumbnail_key: str | None
    status: str
    category_name: str | None
    instructor_names: str

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    @property
    def price_label(self) -> str:
        return price_label(self.price_cents)


_CARD_COLUMNS = (
    Course.id, Course.slug, Course.title, Course.subtitle, Course.level, Course.language,
    Course.price_cents, Course.enrollment_count, Course.rating_average, Course.rating_count,
    Course.thumbnail_key, Course.status,
)  # fmt: skip


@dataclass(frozen=True)
class CatalogPage(Page[Any]):
    """A page of the catalog; `total` is a lower bound when `total_exact` is false."""

    total_exact: bool = True


def count_up_to(stmt: Select[Any], page: int, per_page: int) -> tuple[int, bool]:
    """Count the rows of `stmt`, stopping past the pages ahead of `page`; say if exact.

    An exact count reads every matching course on every page view, and its cost
    grows with the catalog; a bounded one costs no more than the pages it covers.
    """
    limit = count_limit(page, per_page)
    ids = stmt.order_by(None).with_only_columns(Course.id, maintain_column_froms=True)
    counted = db.session.scalar(select(func.count()).select_from(ids.limit(limit + 1).subquery()))
    return (counted, True) if (counted or 0) <= limit else (limit, False)


def _page_rows(
    query: CatalogQuery, page: int, per_page: int, shape: Callable[[Select[Any]], Select[Any]]
) -> tuple[list[Any], int, bool]:
    """Return one page of `query` as rows shaped by `shape`, and the (bounded) total.

    The total comes with the rows, in the same statement: on PostgreSQL a
    statement is a round trip, and a separate count was one more per page.
    """
    stmt = catalog_statement(query, page, per_page)
    limit = count_limit(page, per_page)
    if search_terms(query.q) and query.effective_sort == "relevance":
        total: Any = func.count().over()  # the ranked window is already bounded
    else:
        ids = stmt.order_by(None).with_only_columns(Course.id, maintain_column_froms=True)
        total = select(func.count()).select_from(ids.limit(limit + 1).subquery()).scalar_subquery()
    rows = db.session.execute(
        shape(stmt).add_columns(total).limit(per_page).offset((page - 1) * per_page)
    ).all()
    if not rows:  # past the last page
        counted, exact = count_up_to(stmt, page, per_page)
        return [], counted, exact
    return [row[:-1] for row in rows], min(rows[0][-1], limit), rows[0][-1] <= limit


def course_page(query: CatalogQuery, page: int, per_page: int) -> CatalogPage:
    """Return one page of `query` as Course objects (the API's items)."""
    rows, total, exact = _page_rows(query, page, per_page, lambda stmt: stmt)
    items = [row[0] for row in rows]
    return CatalogPage(items, page=page, per_page=per_page, total=total, total_exact=exact)


def course_cards(query: CatalogQuery, page: int, per_page: int) -> CatalogPage:
    """Return one page of `query` as cards: count, rows, instructor names."""
    category = aliased(Category)  # the statement may already join Category to filter

    def card_columns(stmt: Select[Any]) -> Select[Any]:
        return stmt.with_only_columns(
            *_CARD_COLUMNS, category.name, maintain_column_froms=True
        ).outerjoin(category, category.id == Course.category_id)

    rows, total, exact = _page_rows(query, page, per_page, card_columns)
    names = instructor_names([row[0] for row in rows])
    cards = [CourseCard(*row, instructor_names=names.get(row[0], "")) for row in rows]
    return CatalogPage(cards, page=page, per_page=per_page, total=total, total_exact=exact)


def instructor_names(course_ids: list[int]) -> dict[int, str]:
    """Return "Name, Name" per course id, in one light query (no ORM objects)."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(CourseInstructor.course_id, User.name, User.username, User.email)
        .join(User, User.id == CourseInstructor.user_id)
        .where(CourseInstructor.course_id.in_(course_ids), CourseInstructor.role == INSTRUCTOR)
        .order_by(CourseInstructor.course_id, CourseInstructor.position)
    )
    names: dict[int, list[str]] = {}
    for course_id, name, username, email in rows:
        names.setdefault(course_id, []).append(name or username or email.split("@", 1)[0])
    return {course_id: ", ".join(found) for course_id, found in names.items()}
