"""The lessons' part of the demo school: sections, text and file lessons, student progress.

Runs after the catalog's seed (this plugin requires it). Every course without
sections gets 2-4 sections of text lessons written for its subject, a PDF
handout (made with fpdf2) and a free preview; enrolled students get progress,
some of them to 100% (and so a certificate).
"""

# ruff: noqa: E501 - lesson texts read best unwrapped

from __future__ import annotations

import io
import random
from collections.abc import Callable
from typing import Any

from fpdf import FPDF
from lms_catalog import Course, Enrollment
from sqlalchemy import select

from lms.extensions import db
from lms_lessons import services
from lms_lessons.builtin_types import attach_file
from lms_lessons.models import Section
from lms_lessons.progress import record, update_course_progress

Lesson = tuple[str, str]  # (title, markdown)

SUBJECTS: dict[str, list[tuple[str, list[Lesson]]]] = {
    "programming": [
        (
            "Getting set up",
            [
                (
                    "Why learn to program?",
                    "Programs are instructions a computer follows exactly. Learning to write them teaches you to **break problems into small steps**, a skill useful far beyond computers.\n\nIn this course you will:\n\n- write small programs from the first lesson,\n- read error messages calmly (they are hints, not insults),\n- build one useful tool by the end.",
                ),
                (
                    "Your first program",
                    'Open the editor and type:\n\n```python\nprint("Hello, school!")\n```\n\nRun it. The text between the quotes appears on screen. Now change it to greet yourself by name.\n\n> Tip: if you see `SyntaxError`, check that both quotes are there.',
                ),
            ],
        ),
        (
            "Values and decisions",
            [
                (
                    "Variables",
                    "A variable is a name for a value:\n\n```python\nstudents = 24\nrooms = 3\nprint(students / rooms)\n```\n\nNames should say what they hold: `students` is better than `s`.",
                ),
                (
                    "If, elif, else",
                    'Programs choose with `if`:\n\n```python\nmark = 72\nif mark >= 80:\n    print("Excellent")\nelif mark >= 50:\n    print("Pass")\nelse:\n    print("Try again")\n```\n\n**Exercise:** print `"Freezing"` when a temperature is below 0.',
                ),
            ],
        ),
        (
            "Repeating work",
            [
                (
                    "Loops",
                    'A `for` loop repeats work for each item:\n\n```python\nfor name in ["Ana", "Ben", "Chi"]:\n    print(f"Good morning, {name}")\n```\n\nLoops turn a one-off into a tool you can reuse.',
                ),
                (
                    "Functions",
                    "Wrap steps you repeat in a function:\n\n```python\ndef average(marks: list[int]) -> float:\n    return sum(marks) / len(marks)\n\nprint(average([12, 15, 18]))\n```\n\nA good function does one thing and has a name that says what.",
                ),
            ],
        ),
    ],
    "mathematics": [
        (
            "Foundations",
            [
                (
                    "How to study mathematics",
                    "Mathematics is learnt by **doing**. For every example in a lesson:\n\n1. cover the solution,\n2. try it yourself,\n3. compare, and write down where you went wrong.\n\nMistakes are information: keep a page of them.",
                ),
                (
                    "Equations as balances",
                    "An equation is a balance: whatever you do to one side, do to the other.\n\nSolve `3x + 5 = 20`:\n\n| step | left | right |\n|---|---|---|\n| start | 3x + 5 | 20 |\n| subtract 5 | 3x | 15 |\n| divide by 3 | x | 5 |\n\nCheck: `3 × 5 + 5 = 20`. ✔",
                ),
            ],
        ),
        (
            "Functions and graphs",
            [
                (
                    "What is a function?",
                    "A function takes an input and gives exactly one output. `f(x) = 2x + 1` sends 3 to 7.\n\nThink of a machine: the same input always gives the same output.",
                ),
                (
                    "Reading a graph",
                    "The graph of `y = 2x + 1` is a straight line:\n\n- the **slope** 2 says how steep it is,\n- the **intercept** 1 says where it crosses the y-axis.\n\n**Exercise:** where does `y = -x + 4` cross each axis?",
                ),
            ],
        ),
        (
            "Practice and review",
            [
                (
                    "Worked problems",
                    "Three problems, with full solutions at the end of the lesson:\n\n1. Solve `5x - 7 = 18`.\n2. Find the slope between `(1, 2)` and `(4, 11)`.\n3. A taxi charges 3 plus 2 per km. Write the cost as a function of distance.\n\n*Solutions:* `x = 5`; slope 3; `c(d) = 2d + 3`.",
                ),
            ],
        ),
    ],
    "languages": [
        (
            "First steps",
            [
                (
                    "How we will learn",
                    "Every lesson has three parts: **listen**, **repeat**, **use**. Say each new phrase aloud at least five times; your mouth needs the practice as much as your memory.\n\nKeep a notebook of phrases, not single words.",
                ),
                (
                    "Greetings",
                    "| phrase | when |\n|---|---|\n| Hola / Bonjour | hello, any time |\n| Buenos días / Bonjour | good morning |\n| Buenas noches / Bonsoir | good evening |\n| Adiós / Au revoir | goodbye |\n\n**Practice:** greet three people today in the language you are learning.",
                ),
            ],
        ),
        (
            "Everyday conversations",
            [
                (
                    "Introducing yourself",
                    "Use this frame and fill in your details:\n\n- *Me llamo …* / *Je m'appelle …* (my name is)\n- *Soy de …* / *Je viens de …* (I am from)\n- *Me gusta …* / *J'aime …* (I like)\n\nRecord yourself and listen back: it feels odd, and it works.",
                ),
                (
                    "Asking questions",
                    "Questions open conversations. Learn these four first: **who**, **what**, **where**, **when**.\n\n> Tip: a rising tone turns a sentence into a question in both Spanish and French.",
                ),
            ],
        ),
    ],
    "science": [
        (
            "Observing",
            [
                (
                    "Thinking like a scientist",
                    "Science starts with a **careful observation** and a question you can test.\n\n1. Observe: what exactly do you see?\n2. Ask: what could explain it?\n3. Predict: if that is true, what else should happen?\n4. Test, and record honestly, even when you were wrong.",
                ),
                (
                    "Measuring and units",
                    'Every measurement has a number **and** a unit. "5" means nothing; "5 m/s" is a speed.\n\n| quantity | SI unit |\n|---|---|\n| length | metre (m) |\n| mass | kilogram (kg) |\n| time | second (s) |',
                ),
            ],
        ),
        (
            "Forces and motion",
            [
                (
                    "Newton's first law",
                    "An object keeps doing what it is doing (resting, or moving in a straight line at constant speed) **unless a force acts on it**.\n\nThat is why passengers lurch forward when a bus brakes.",
                ),
                (
                    "Gravity and orbits",
                    "The Moon is falling towards the Earth all the time, and moving sideways fast enough to keep missing it. That is an orbit.\n\n**Tonight:** find the Moon and note its shape and time. Repeat for a week.",
                ),
            ],
        ),
        (
            "Looking up",
            [
                (
                    "Finding your way in the night sky",
                    "Start with bright, easy patterns: the Big Dipper (Plough) in the north, Orion in winter. Let your eyes adapt for 15 minutes and use a red torch to keep your night vision.",
                ),
            ],
        ),
    ],
    "arts": [
        (
            "Seeing",
            [
                (
                    "Learning to see",
                    "Drawing is mostly **looking**. Spend twice as long looking at your subject as at your paper.\n\n**Exercise:** draw your hand without looking at the paper at all (a *blind contour*). It will look strange; that is the point.",
                ),
                (
                    "Lines and shapes",
                    "Everything can be built from simple shapes: spheres, boxes, cylinders. Block in the big shapes lightly before any detail.",
                ),
            ],
        ),
        (
            "Light and depth",
            [
                (
                    "Light and shadow",
                    "Light has a direction. Find the **highlight**, the **core shadow** and the **cast shadow** on a simple object such as an egg under a lamp.",
                ),
                (
                    "One-point perspective",
                    "Parallel lines going away from you meet at a **vanishing point** on the horizon. Draw a road, then a row of houses along it, all aiming at one point.",
                ),
            ],
        ),
    ],
    "business": [
        (
            "Communicating at work",
            [
                (
                    "Clear e-mails",
                    "A good work e-mail has:\n\n1. a subject that says what you need,\n2. the request in the first line,\n3. the details after,\n4. a clear next step.\n\n*Subject:* **Approval needed: Friday's workshop budget**",
                ),
                (
                    "Meetings that work",
                    "Send an agenda before, keep to time, and end with **who does what by when**. Useful phrases: *Shall we move on?*, *Let me summarise.*",
                ),
            ],
        ),
        (
            "Presenting",
            [
                (
                    "Structuring a presentation",
                    "Tell them what you will say, say it, tell them what you said. One idea per slide; your slides support you, they are not your script.",
                ),
            ],
        ),
    ],
}

KEYWORDS = {
    "programming": ("python", "flask", "pandas", "program", "web", "data"),
    "mathematics": ("algebra", "calculus", "linear", "statistic", "math"),
    "languages": ("español", "français", "english", "spanish", "french"),
    "science": ("astronomy", "mechanics", "chemistry", "physics", "science"),
    "arts": ("drawing", "design", "art"),
    "business": ("business",),
}


def subject_for(title: str) -> str:
    lowered = title.lower()
    for subject, words in KEYWORDS.items():
        if any(word in lowered for word in words):
            return subject
    return "science"


def handout_pdf(course_title: str, outline: list[tuple[str, list[Lesson]]]) -> bytes:
    """A one-page course handout: the outline and how to study, as a real PDF."""
    pdf = FPDF()
    pdf.set_title(f"{course_title}: course handout")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, _latin1(course_title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(
        0, 6, "Course handout: keep it next to you while you study.", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    for number, (section, lessons) in enumerate(outline, start=1):
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, _latin1(f"{number}. {section}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for title, _text in lessons:
            pdf.multi_cell(0, 6, _latin1(f"   - {title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(
        0,
        6,
        "Study a little every day, mark each lesson complete, and ask questions in the comments.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    # The core PDF fonts cover Latin-1; anything else becomes "?" rather than failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def _fill_course(course: Course, rng: random.Random) -> int:
    outline = SUBJECTS[subject_for(course.title)]
    outline = outline[: rng.randint(2, len(outline))] if len(outline) > 2 else outline
    count = 0
    for index, (section_title, lessons) in enumerate(outline):
        section = services.create_section(course.id, section_title)
        for position, (title, text) in enumerate(lessons):
            services.create_lesson(
                section,
                {
                    "type": "text",
                    "title": title,
                    "description": text.split("\n", 1)[0].replace("**", "")[:160],
                    "duration_seconds": rng.choice((300, 420, 600, 720, 900)),
                    "status": "published",
                    "free_preview": index == 0 and position == 0,
                    "content": {"markdown": text},
                },
            )
            count += 1
        if index == 0:
            handout = services.create_lesson(
                section,
                {
                    "type": "file",
                    "title": "Course handout (PDF)",
                    "description": "The whole course on one page, to print or keep.",
                    "duration_seconds": 120,
                },
            )
            attach_file(
                handout, io.BytesIO(handout_pdf(course.title, outline)), "course-handout.pdf"
            )
            services.update_lesson(handout, {"status": "published"})
            count += 1
    return count


def _give_progress(course: Course, rng: random.Random) -> int:
    sections = services.sections_of(course.id)
    lessons = services.ordered_lessons(sections, include_drafts=False)
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.status == "active")
    ).all()
    finished = 0
    for enrollment in enrollments:
        done = rng.choice((0, 1, 2, len(lessons) // 2, len(lessons)))
        for lesson in lessons[:done]:
            record(enrollment.user_id, lesson, complete=True)
        if lessons and 0 < done < len(lessons):
            record(enrollment.user_id, lessons[done])  # started the next one
        if done:
            last = lessons[min(done, len(lessons) - 1)].id
            update_course_progress(enrollment.user_id, course.id, last_lesson_id=last)
            finished += done == len(lessons)
    return finished


def seed(echo: Callable[[str], Any]) -> None:
    """Give every course without sections its lessons, and its students progress."""
    rng = random.Random(7)  # the same demo every time
    has_sections = select(Section.course_id)
    courses = db.session.scalars(
        select(Course)
        .where(Course.deleted_at.is_(None), Course.id.not_in(has_sections))
        .order_by(Course.id)
    ).all()
    lessons = finished = 0
    for course in courses:
        lessons += _fill_course(course, rng)
        db.session.flush()
        finished += _give_progress(course, rng)
    db.session.flush()
    echo(
        f"lessons: {lessons} lessons in {len(courses)} courses; {finished} students finished a course"
    )
