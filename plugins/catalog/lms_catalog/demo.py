"""The catalog's part of the demo school (`flask --app wsgi lms seed-demo`)."""

# ruff: noqa: E501 - the demo data reads best as one course per line

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Role, User, utcnow
from lms_catalog import services
from lms_catalog.models import Category, Course, CourseInstructor

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - the documented demo password

CATEGORIES = ["Programming", "Mathematics", "Languages", "Science", "Arts & Design", "Business"]

INSTRUCTORS = [
    ("amara.okafor@demo.school", "Amara Okafor", "Software engineer turned teacher; 12 years of Python."),
    ("lucas.martin@demo.school", "Lucas Martin", "Maths teacher who likes proofs you can draw."),
    ("sofia.alvarez@demo.school", "Sofía Álvarez", "Linguist; teaches Spanish and French to teenagers and adults."),
    ("kenji.watanabe@demo.school", "Kenji Watanabe", "Physicist and amateur astronomer."),
]  # fmt: skip

STUDENTS = [
    ("student@demo.school", "Sam Student"),
    ("lea.dubois@demo.school", "Léa Dubois"),
    ("omar.haddad@demo.school", "Omar Haddad"),
    ("priya.nair@demo.school", "Priya Nair"),
    ("tom.becker@demo.school", "Tom Becker"),
    ("yuki.sato@demo.school", "Yuki Sato"),
]

# (title, subtitle, category, level, language, price_cents, instructor index, featured)
COURSES: list[tuple[str, str, str, str, str, int, int, bool]] = [
    ("Python for Absolute Beginners", "From your first print() to small programs that save you time", "Programming", "beginner", "en", 0, 0, True),
    ("Web Apps with Flask", "Build, test and deploy a real web application", "Programming", "intermediate", "en", 0, 0, False),
    ("Data Analysis with pandas", "Clean, explore and chart real data sets", "Programming", "intermediate", "en", 2900, 0, False),
    ("Algebra Foundations", "Equations, functions and graphs without fear", "Mathematics", "beginner", "en", 0, 1, True),
    ("Calculus I: Limits and Derivatives", "The ideas behind change, with many worked examples", "Mathematics", "intermediate", "en", 0, 1, False),
    ("Linear Algebra for Machine Learning", "Vectors, matrices and what they mean", "Mathematics", "advanced", "en", 4900, 1, False),
    ("Español para principiantes", "Habla español desde la primera lección", "Languages", "beginner", "es", 0, 2, True),
    ("Français : grammaire pratique", "Les règles qui comptent, avec des exercices", "Languages", "intermediate", "fr", 0, 2, False),
    ("Business English", "Meetings, e-mails and presentations", "Business", "intermediate", "en", 1900, 2, False),
    ("Astronomy: The Night Sky", "Find planets, stars and galaxies from your backyard", "Science", "beginner", "en", 0, 3, False),
    ("Classical Mechanics", "Newton's laws to orbits, step by step", "Science", "advanced", "en", 0, 3, False),
    ("Drawing Fundamentals", "Line, shape, light and perspective", "Arts & Design", "beginner", "en", 0, 3, False),
]  # fmt: skip


def _description(title: str, subtitle: str, level: str) -> tuple[str, str]:
    description = f"""**{title}** — {subtitle.lower()}.

This {level} course is made of short lessons you can follow at your own pace,
each ending with a small exercise. You need no special software beyond a web browser.

## How the course works

1. Watch or read a lesson (10-15 minutes).
2. Try the exercise; solutions follow in the next lesson.
3. Mark the lesson as complete and carry on.

> Tip: a little every day beats a lot once a week.
"""
    if "Python" in title or "Flask" in title or "pandas" in title:
        description += """
```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```
"""
    outcomes = "\n".join(
        f"- {line}"
        for line in (
            "The core ideas, explained with examples",
            "How to practise on your own after the course",
            "Where to go next at the next level",
        )
    )
    return description, outcomes


def _user(email: str, name: str, role: Role, bio: str = "") -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        user = User(
            email=email,
            username=email.split("@", 1)[0].replace(".", "_")[:40],
            name=name,
            role=role,
            bio=bio,
            email_verified_at=utcnow(),
        )
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        db.session.flush()
    return user


def seed(echo: Callable[[str], Any]) -> None:
    """Add categories, instructors, a dozen published courses and enrolled students."""
    rng = random.Random(4)  # the same demo school every time
    categories: dict[str, Category] = {}
    for name in CATEGORIES:
        existing = db.session.scalar(select(Category).where(Category.name == name))
        categories[name] = existing or services.create_category(name)
    teachers = [_user(e, n, Role.INSTRUCTOR, bio) for e, n, bio in INSTRUCTORS]
    students = [_user(e, n, Role.STUDENT) for e, n in STUDENTS]
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).limit(1)) or teachers[0]
    created = 0
    now = utcnow()
    for i, (title, subtitle, cat, level, lang, price, teacher, featured) in enumerate(COURSES):
        if db.session.scalar(select(Course.id).where(Course.title == title)) is not None:
            continue
        description, outcomes = _description(title, subtitle, level)
        course = services.create_course(
            teachers[teacher],
            {
                "title": title,
                "subtitle": subtitle,
                "description_md": description,
                "outcomes_md": outcomes,
                "category_id": categories[cat].id,
                "level": level,
                "language": lang,
                "price_cents": price,
            },
        )
        if i == 1:  # a co-taught course
            course.instructor_links.append(CourseInstructor(user_id=teachers[3].id, position=1))
        services.approve(course, admin)
        course.published_at = now - timedelta(days=60 - i * 4)
        course.is_featured = featured
        created += 1
        for student in rng.sample(students, k=rng.randint(1, 4)) if course.is_free else []:
            services.enroll(student, course, via="demo")
    # One draft waiting for review and one sent back, so the moderation pages have work.
    for title, feedback in (
        ("Chemistry in the Kitchen", None),
        ("Intro to Statistics", "Please add a description of what students need beforehand."),
    ):
        if db.session.scalar(select(Course.id).where(Course.title == title)) is not None:
            continue
        course = services.create_course(
            teachers[3 if "Chem" in title else 1],
            {"title": title, "description_md": f"A first look at {title.lower()}."},
        )
        services.submit_for_review(course, teachers[0])
        if feedback:
            services.reject(course, admin, feedback)
    db.session.flush()
    echo(
        f"catalog: {len(categories)} categories, {len(teachers)} instructors, "
        f"{created} courses, {len(students)} students "
        f"(log in as {STUDENTS[0][0]} or {INSTRUCTORS[0][0]})"
    )
