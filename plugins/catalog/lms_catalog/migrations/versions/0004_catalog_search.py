"""catalog search: indexes for every listing, filter and sort; full-text search kept by triggers

PostgreSQL: a stored ``search_vector`` (title A, subtitle and instructors B,
description and outcomes C) stemmed in the course's language, accents folded,
GIN-indexed, kept by triggers on courses, their instructors and users' names.
SQLite: an FTS5 table ``catalog_courses_fts`` (accents and case folded for every
script FTS5 knows) kept by the same set of triggers.

Revision ID: 0004_catalog_search
Revises: 0002_catalog_staff
"""

# Triggers and functions are SQL assembled from this file's constants only.
# ruff: noqa: S608

import unicodedata

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_catalog_search"
down_revision = "0002_catalog_staff"
branch_labels = None
depends_on = None

PUBLISHED = sa.text("status = 'published' AND deleted_at IS NULL")

# (name, columns): partial indexes over published courses, one per sort and filter
# of the catalog, each ending with the sort key so a filtered page reads in order.
INDEXES = (
    ("ix_catalog_courses_newest", ["published_at", "id"]),
    ("ix_catalog_courses_popular", ["enrollment_count", "id"]),
    ("ix_catalog_courses_rating", ["rating_average", "rating_count", "id"]),
    ("ix_catalog_courses_title", [sa.text("lower(title)"), sa.text("id DESC")]),
    ("ix_catalog_courses_level", ["level", "published_at"]),
    ("ix_catalog_courses_price", ["price_cents", "published_at"]),
    ("ix_catalog_courses_category", ["category_id", "published_at"]),
)

# ISO 639-1 code -> PostgreSQL text search configuration; codes missing here, or
# whose configuration this server lacks, are indexed with 'simple' (no stemming).
PG_CONFIGS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish",
    "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian",
    "nb": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}  # fmt: skip

_NAMES_SQL = (
    "(SELECT coalesce(string_agg(u.name, ' ' ORDER BY ci.position), '') "
    "FROM catalog_course_instructors ci JOIN users u ON u.id = ci.user_id "
    "WHERE ci.course_id = {course} AND ci.role = 'instructor')"
)


def _fold_table() -> tuple[str, str]:
    """Return translate()'s (from, to) strings: Latin letters with marks -> plain letters."""
    source, target = [], []
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            source.append(char)
            target.append(base)
    return "".join(source), "".join(target)


def _postgres_fold_function() -> None:
    """Create catalog_fold(text): unaccent when the server allows it, else translate()."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
        body = "SELECT public.unaccent('public.unaccent'::regdictionary, $1)"
    except sa.exc.DBAPIError:
        # A school's database role may not create extensions: fold Latin accents
        # (the letters a catalog mostly carries) with a plain translation table.
        source, target = _fold_table()
        body = f"SELECT translate($1, '{source}', '{target}')"
    op.execute(
        "CREATE OR REPLACE FUNCTION catalog_fold(text) RETURNS text "
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ {body} $$"
    )


def _postgres_upgrade() -> None:
    _postgres_fold_function()
    available = {
        row[0] for row in op.get_bind().exec_driver_sql("SELECT cfgname FROM pg_ts_config")
    }
    cases = " ".join(
        f"WHEN '{code}' THEN '{name}'" for code, name in PG_CONFIGS.items() if name in available
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION catalog_search_config(language text) RETURNS regconfig "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (CASE "
        f"lower(split_part(coalesce(language, ''), '-', 1)) {cases} ELSE 'simple' END)::regconfig $$"
    )
    # Stemmed lexemes in the course's language (so "courses" finds "course") and
    # unstemmed ones (so a word typed exactly, or its first letters, always matches).
    op.execute(
        """
        CREATE OR REPLACE FUNCTION catalog_search_document(
            language text, title text, subtitle text, names text, body text
        ) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT setweight(to_tsvector(catalog_search_config(language), catalog_fold(title))
                             || to_tsvector('simple', catalog_fold(title)), 'A')
                || setweight(to_tsvector(catalog_search_config(language), catalog_fold(subtitle))
                             || to_tsvector('simple', catalog_fold(subtitle)), 'B')
                || setweight(to_tsvector('simple', catalog_fold(names)), 'B')
                || setweight(to_tsvector(catalog_search_config(language), catalog_fold(body))
                             || to_tsvector('simple', catalog_fold(body)), 'C')
        $$
        """
    )
    # What people type, as a tsquery: every word must match (the last one also as
    # a prefix, since it may be unfinished), each as written or as its stem in any
    # of `languages`; duplicate stems are merged so the planner estimates well.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION catalog_search_query(terms text[], languages text[])
        RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT string_agg('(' || alternatives || ')', ' & ' ORDER BY n)::tsquery
            FROM (
                SELECT t.n, string_agg(DISTINCT variant.q, ' | ') AS alternatives
                FROM unnest(terms) WITH ORDINALITY AS t(term, n)
                CROSS JOIN unnest('simple'::regconfig || array(
                    SELECT catalog_search_config(l) FROM unnest(languages) AS l)) AS cfg
                CROSS JOIN LATERAL (VALUES (''), (CASE WHEN t.n = cardinality(terms)
                                                  THEN ':*' END)) AS suffix(s)
                CROSS JOIN LATERAL (SELECT to_tsquery(
                    cfg, quote_literal(catalog_fold(t.term)) || suffix.s)::text AS q) AS variant
                WHERE suffix.s IS NOT NULL AND variant.q <> ''
                GROUP BY t.n
            ) AS per_term
        $$
        """
    )
    op.add_column("catalog_courses", sa.Column("search_vector", postgresql.TSVECTOR()))
    names = _NAMES_SQL.format(course="NEW.id")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION catalog_courses_search_vector() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_vector := catalog_search_document(
                NEW.language, NEW.title, NEW.subtitle, {names},
                NEW.description_md || ' ' || NEW.outcomes_md);
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER catalog_courses_search_vector BEFORE INSERT OR UPDATE OF "
        "title, subtitle, description_md, outcomes_md, language ON catalog_courses "
        "FOR EACH ROW EXECUTE FUNCTION catalog_courses_search_vector()"
    )
    # Instructors and their names live in other tables: refresh the courses they touch.
    refresh = (
        "UPDATE catalog_courses c SET search_vector = catalog_search_document("
        "c.language, c.title, c.subtitle, " + _NAMES_SQL.format(course="c.id") + ", "
        "c.description_md || ' ' || c.outcomes_md) WHERE c.id IN ({ids})"
    )
    for name, event, table in (
        ("added", "INSERT", "NEW TABLE AS changed"),
        ("removed", "DELETE", "OLD TABLE AS changed"),
        ("changed", "UPDATE", "NEW TABLE AS changed"),  # a role given or taken
    ):
        ids = "SELECT course_id FROM changed"
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION catalog_instructors_{name}_search() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN {refresh.format(ids=ids)}; RETURN NULL; END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER catalog_instructors_{name}_search AFTER {event} "
            f"ON catalog_course_instructors REFERENCING {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION catalog_instructors_{name}_search()"
        )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION catalog_user_renamed_search() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {refresh.format(ids="SELECT course_id FROM catalog_course_instructors WHERE user_id = NEW.id")};
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER catalog_user_renamed_search AFTER UPDATE OF name ON users "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) "
        "EXECUTE FUNCTION catalog_user_renamed_search()"
    )
    op.execute(refresh.format(ids="SELECT id FROM catalog_courses"))
    op.execute(
        "CREATE INDEX ix_catalog_courses_search ON catalog_courses USING gin (search_vector)"
    )


def _sqlite_upgrade() -> None:
    # remove_diacritics 2 folds accents of every Latin letter; unicode61 folds case
    # for every script. Prefix indexes make as-you-type queries ("pyt*") cheap.
    op.execute(
        "CREATE VIRTUAL TABLE catalog_courses_fts USING fts5("
        "title, subtitle, names, body, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6')"
    )
    names = _NAMES_SQL.replace(
        "string_agg(u.name, ' ' ORDER BY ci.position)", "group_concat(u.name, ' ')"
    )
    op.execute(
        f"""
        CREATE TRIGGER catalog_courses_fts_insert AFTER INSERT ON catalog_courses BEGIN
            INSERT INTO catalog_courses_fts (rowid, title, subtitle, names, body)
            VALUES (NEW.id, NEW.title, NEW.subtitle, {names.format(course="NEW.id")},
                    NEW.description_md || ' ' || NEW.outcomes_md);
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER catalog_courses_fts_update
        AFTER UPDATE OF title, subtitle, description_md, outcomes_md ON catalog_courses BEGIN
            UPDATE catalog_courses_fts SET title = NEW.title, subtitle = NEW.subtitle,
                body = NEW.description_md || ' ' || NEW.outcomes_md
            WHERE rowid = NEW.id;
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER catalog_courses_fts_delete AFTER DELETE ON catalog_courses BEGIN
            DELETE FROM catalog_courses_fts WHERE rowid = OLD.id;
        END
        """
    )
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD"), ("UPDATE OF role, user_id", "NEW")):
        op.execute(
            f"""
            CREATE TRIGGER catalog_instructors_fts_{event.split()[0].lower()}
            AFTER {event} ON catalog_course_instructors BEGIN
                UPDATE catalog_courses_fts SET names = {names.format(course=f"{row}.course_id")}
                WHERE rowid = {row}.course_id;
            END
            """
        )
    op.execute(
        f"""
        CREATE TRIGGER catalog_user_renamed_fts AFTER UPDATE OF name ON users
        WHEN OLD.name IS NOT NEW.name BEGIN
            UPDATE catalog_courses_fts SET names = {names.format(course="catalog_courses_fts.rowid")}
            WHERE rowid IN (SELECT course_id FROM catalog_course_instructors WHERE user_id = NEW.id);
        END
        """
    )
    op.execute(
        "INSERT INTO catalog_courses_fts (rowid, title, subtitle, names, body) "
        f"SELECT c.id, c.title, c.subtitle, {names.format(course='c.id')}, "
        "c.description_md || ' ' || c.outcomes_md FROM catalog_courses c"
    )
    # SQLite chooses among the new indexes from statistics only: without them a
    # sorted page of 50,000 courses read the old listing index and sorted it all.
    op.execute("ANALYZE catalog_courses")


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(
            name,
            "catalog_courses",
            columns,
            postgresql_where=PUBLISHED,
            sqlite_where=PUBLISHED,
        )
    # Not partial: PostgreSQL keeps statistics of an indexed expression only for
    # a whole-table index, and without them it guessed 250 French courses in
    # 50,000 (not 16,667) and sorted them all instead of reading in title order.
    op.create_index(
        "ix_catalog_courses_language",
        "catalog_courses",
        [sa.text("lower(language)"), "published_at"],
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS catalog_user_renamed_search ON users")
        op.execute("DROP INDEX IF EXISTS ix_catalog_courses_search")
        op.execute("DROP TRIGGER IF EXISTS catalog_courses_search_vector ON catalog_courses")
        for name in ("added", "removed", "changed"):
            op.execute(
                f"DROP TRIGGER IF EXISTS catalog_instructors_{name}_search "
                "ON catalog_course_instructors"
            )
            op.execute(f"DROP FUNCTION IF EXISTS catalog_instructors_{name}_search()")
        op.execute("DROP FUNCTION IF EXISTS catalog_user_renamed_search()")
        op.execute("DROP FUNCTION IF EXISTS catalog_courses_search_vector()")
        op.drop_column("catalog_courses", "search_vector")
        op.execute("DROP FUNCTION IF EXISTS catalog_search_document(text, text, text, text, text)")
        op.execute("DROP FUNCTION IF EXISTS catalog_search_query(text[], text[])")
        op.execute("DROP FUNCTION IF EXISTS catalog_search_config(text)")
        op.execute("DROP FUNCTION IF EXISTS catalog_fold(text)")
    else:
        for trigger in (
            "catalog_user_renamed_fts",
            "catalog_instructors_fts_insert",
            "catalog_instructors_fts_delete",
            "catalog_instructors_fts_update",
            "catalog_courses_fts_insert",
            "catalog_courses_fts_update",
            "catalog_courses_fts_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS catalog_courses_fts")
    op.drop_index("ix_catalog_courses_language", "catalog_courses")
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, "catalog_courses")
