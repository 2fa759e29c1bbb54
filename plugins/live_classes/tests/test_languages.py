"""Every page of the plugin in French and Arabic: no English left of ours, dates by Babel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db

# English sentences of our pages that must not survive a translation.
ENGLISH = (
    "Live classes",
    "Schedule a class",
    "Times are shown in the time zone",
    "Add to my calendar",
    "Your calendar",
    "Attendance rules",
    "Every student of the course",
    "Connecting to the class",
    "This lesson is a live class",
    "Reminder before a class",
)


def _speak(app, language: str, *users) -> None:
    from lms.models import User

    with app.app_context():
        for user in users:
            db.session.get(User, user.id).language = language
        db.session.commit()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ("Séances en direct", "Programmer une séance", "janvier 2031", "Présences")),
        ("ar", ("الحصص المباشرة", "جدولة حصة", "يناير", "الحضور")),
    ],
)
def test_the_plugins_pages_are_translated(
    app, school, signed_in, create_live_class, create_section, create_lesson, language, words
):
    lesson = create_lesson(create_section(school.course), "Live: forces", type="live_class")
    upcoming = create_live_class(
        school.course, starts_at=datetime(2031, 1, 15, 17, 0, tzinfo=UTC), lesson_id=lesson
    )
    live = create_live_class(school.course, status="live", starts_in=-timedelta(minutes=5))
    _speak(app, language, school.instructor, school.student, school.admin)
    teacher, student = signed_in(school.instructor), signed_in(school.student)
    course = school.course.id
    pages = {
        "course classes": teacher.get(f"/live/courses/{course}/classes"),
        "detail": teacher.get(f"/live/classes/{upcoming.id}"),
        "live detail": student.get(f"/live/classes/{live.id}"),
        "schedule": teacher.get(f"/live/courses/{course}/classes/new"),
        "edit": teacher.get(f"/live/classes/{upcoming.id}/edit"),
        "attendance": teacher.get(f"/live/classes/{live.id}/attendance"),
        "rules": teacher.get(f"/live/courses/{course}/attendance-rules"),
        "my classes": student.get("/live/my-classes"),
        "my attendance": student.get("/live/my-attendance"),
        "room": student.get(f"/live/classes/{live.id}/room"),
        "lesson": student.get(f"/lessons/{lesson}"),
        "settings": signed_in(school.admin).get("/admin/settings"),
    }
    text = {}
    for name, response in pages.items():
        assert response.status_code == 200, name
        text[name] = response.get_data(as_text=True)
        assert f'lang="{language}"' in text[name], name
    everything = "\n".join(text.values())
    for word in words:
        assert word in everything, word
    ours = "\n".join(v for k, v in text.items() if k not in ("lesson", "settings"))
    for sentence in ENGLISH:
        assert sentence not in ours, sentence
    assert "Reminder before a class" not in text["settings"]


def test_form_errors_are_in_the_instructors_language(app, school, signed_in):
    _speak(app, "fr", school.instructor)
    teacher = signed_in(school.instructor)
    r = teacher.submit(
        f"/live/courses/{school.course.id}/classes/new",
        {
            "title": "",
            "start_date": "soon",
            "start_time": "18:00",
            "duration_minutes": "1",
            "seats": "3",
            "lesson_id": "0",
        },  # fmt: skip
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Donnez un titre à la séance." in page
    assert "Indiquez une date valide (année-mois-jour)." in page
    assert "La durée doit être comprise entre 5 et 480 minutes." in page
