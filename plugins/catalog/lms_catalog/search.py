"""The catalog query: filters, sorting and ranked full-text search on SQLite and PostgreSQL.

PostgreSQL ranks with ``ts_rank`` over a weighted document (title, then
subtitle and instructor names, then description and outcomes) matched by
``websearch_to_tsquery``. SQLite has no such thing built in, so it ranks by
where each word appears (LIKE per word, every word required). Both read the
instructor names live from the users table, so a renamed instructor is found
under the new name at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal_column, or_, select
from sqlalchemy.orm import aliased

from lms.extensions import db
from lms.models import User
from lms.pagination import Page
from lms_catalog.models import LEVELS, Category, Course, CourseInstructor, price_label
from lms_catalog.roles import INSTRUCTOR

SORTS = {
    "relevance": "Best match",
    "newest": "Newest",
    "popular": "Most popular",
    "rating": "Best rated",
    "title": "Title (A-Z)",
}
PRICES = ("free", "paid")
QUERY_MAX = 200
_MAX_TERMS = 8
_TS_CONFIG = literal_column("'english'::regconfig")


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
        errors["q"] = [f"Search for at most {QUERY_MAX} characters."]
        query.q = query.q[:QUERY_MAX]
    if query.level and query.level not in LEVELS:
        errors["level"] = [f"Choose one of: {', '.join(LEVELS)}."]
        query.level = ""
    if query.price and query.price not in PRICES:
        errors["price"] = ['Use "free" or "paid".']
        query.price = ""
    if query.sort and query.sort not in SORTS:
        errors["sort"] = [f"Choose one of: {', '.join(SORTS)}."]
        query.sort = ""
    if len(query.language) > 10:
        errors["language"] = ["Use a language code such as en or fr."]
        query.language = ""
    if len(query.category) > 80:
        errors["category"] = ["No such category."]
        query.category = ""
    return query, errors


def published() -> ColumnElement[bool]:
    return and_(Course.status == "published", Course.deleted_at.is_(None))


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sqlite_search(stmt: Select[Any], q: str) -> tuple[Select[Any], ColumnElement[Any] | None]:
    terms = [t for t in re.findall(r"\w+", q.lower()) if t][:_MAX_TERMS]
    if not terms:
        return stmt, None
    score: ColumnElement[Any] | None = None
    for term in terms:
        pattern = f"%{_like_escape(term)}%"

        def like(column: Any, pattern: str = pattern) -> ColumnElement[bool]:
            return func.lower(column).like(pattern, escape="\\")

        by_instructor = exists(
            select(1)
            .select_from(CourseInstructor)
            .join(User, User.id == CourseInstructor.user_id)
            .where(
                CourseInstructor.course_id == Course.id,
                CourseInstructor.role == INSTRUCTOR,
                like(User.name),
            )
        )
        in_title, in_subtitle = like(Course.title), like(Course.subtitle)
        in_text = or_(like(Course.description_md), like(Course.outcomes_md))
        stmt = stmt.where(or_(in_title, in_subtitle, by_instructor, in_text))
        term_score = (
            case((in_title, 8), else_=0)
            + case((in_subtitle, 4), else_=0)
            + case((by_instructor, 4), else_=0)
            + case((in_text, 1), else_=0)
        )
        score = term_score if score is None else score + term_score
    return stmt, score


def _postgres_search(stmt: Select[Any], q: str) -> tuple[Select[Any], ColumnElement[Any] | None]:
    if not re.search(r"\w", q):
        return stmt, None
    names = (
        select(func.coalesce(func.string_agg(User.name, " "), ""))
        .select_from(CourseInstructor)
        .join(User, User.id == CourseInstructor.user_id)
        .where(CourseInstructor.course_id == Course.id, CourseInstructor.role == INSTRUCTOR)
        .scalar_subquery()
    )

    def weighted(text: Any, weight: str) -> Any:
        # setweight() takes a "char"; a bound parameter would arrive as varchar.
        label = literal_column(f"'{weight}'::\"char\"")
        return func.setweight(func.to_tsvector(_TS_CONFIG, func.coalesce(text, "")), label)

    document = (
        weighted(Course.title, "A")
        .op("||")(weighted(Course.subtitle, "B"))
        .op("||")(weighted(names, "B"))
        .op("||")(weighted(Course.description_md + " " + Course.outcomes_md, "C"))
    )
    tsquery = func.websearch_to_tsquery(_TS_CONFIG, q)
    return stmt.where(document.op("@@")(tsquery)), func.ts_rank(document, tsquery)


def catalog_statement(query: CatalogQuery) -> Select[Any]:
    """Return the SELECT of published courses matching `query`, sorted."""
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
    rank = None
    if query.q:
        search = _postgres_search if db.engine.dialect.name == "postgresql" else _sqlite_search
        stmt, rank = search(stmt, query.q)
    order: list[Any]
    sort = query.effective_sort
    if sort == "relevance" and rank is not None:
        order = [rank.desc(), Course.enrollment_count.desc()]
    elif sort == "popular":
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


def course_cards(stmt: Select[Any], page: int, per_page: int) -> Page[CourseCard]:
    """Run a catalog_statement() for one page of cards: count, rows, instructor names."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    category = aliased(Category)  # the statement may already join Category to filter
    rows = db.session.execute(
        stmt.with_only_columns(*_CARD_COLUMNS, category.name, maintain_column_froms=True)
        .outerjoin(category, category.id == Course.category_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    names = instructor_names([row[0] for row in rows])
    cards = [CourseCard(*row, instructor_names=names.get(row[0], "")) for row in rows]
    return Page(cards, page=page, per_page=per_page, total=total or 0)


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
