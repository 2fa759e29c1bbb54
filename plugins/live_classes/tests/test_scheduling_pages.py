"""Scheduling through the pages: the school's time zone, every bad input, the class's states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db


def _text(response) -> str:
    return response.get_data(as_text=True)


def _future_day(days: int = 10) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def _form(**overrides):
    data = {
        "title": "Kinematics live",
        "description": "Bring questions.",
        "start_date": _future_day(),
        "start_time": "18:30",
        "duration_minutes": "90",
        "seats": "25",
        "lesson_id": "0",
    }
    data.update(overrides)
    return data


def _classes(app):
    from lms_live_classes.models import LiveClass

    with app.app_context():
        return [
            (c.title, c.starts_at, c.duration_minutes, c.seats, c.status)
            for c in db.session.scalars(db.select(LiveClass).order_by(LiveClass.id))
        ]


def _set_zone(app, name: str) -> None:
    from lms.settings import set_setting

    with app.app_context():
        set_setting("core", "timezone", name)
        db.session.commit()


def test_an_instructor_schedules_a_class_in_the_schools_time_zone(app, school, signed_in):
    _set_zone(app, "Europe/Paris")
    teacher = signed_in(school.instructor)
    url = f"/live/courses/{school.course.id}/classes/new"
    page = _text(teacher.get(url))
    assert "Europe/Paris" in page and 'type="date"' in page and 'type="time"' in page

    day = "2031-07-14"  # summer: Paris is UTC+2
    r = teacher.submit(url, _form(start_date=day, start_time="18:30"))
    assert r.status_code == 302
    [(title, starts_at, duration, seats, status)] = _classes(app)
    assert (title, duration, seats, status) == ("Kinematics live", 90, 25, "scheduled")
    assert starts_at == datetime(2031, 7, 14, 16, 30, tzinfo=UTC)

    detail = _text(teacher.get(r.headers["Location"]))
    # Shown back in the school's zone (Babel, English): 6:30 PM, not 4:30 PM.
    assert "6:30:00\u202fPM" in detail or "6:30:00 PM" in detail
    assert "Central European Summer Time" in detail or "Europe/Paris" in detail
    assert "Start the class" in detail and "Cancel the class" in detail


def _set_user(app, user, **values) -> None:
    from lms.models import User

    with app.app_context():
        row = db.session.get(User, user.id)
        for key, value in values.items():
            setattr(row, key, value)
        db.session.commit()


def test_a_class_typed_in_the_schools_zone_shows_in_each_viewers_zone(app, school, signed_in):
    _set_zone(app, "Europe/Paris")
    _set_user(app, school.student, timezone="America/New_York")
    teacher = signed_in(school.instructor)
    r = teacher.submit(
        f"/live/courses/{school.course.id}/classes/new",
        _form(start_date="2031-07-14", start_time="18:30"),  # 16:30 UTC
    )
    assert r.status_code == 302
    detail = r.headers["Location"]
    # The instructor has no zone of their own: the school's.
    page = _text(teacher.get(detail))
    assert "6:30:00\u202fPM" in page or "6:30:00 PM" in page
    # The student chose New York (UTC-4 in July): the same instant at 12:30 PM.
    page = _text(signed_in(school.student).get(detail))
    assert "12:30:00\u202fPM" in page or "12:30:00 PM" in page
    assert "America/New_York" in page and "Eastern Daylight Time" in page
    assert "6:30:00\u202fPM" not in page and "6:30:00 PM" not in page
    # Their list of classes too.
    assert "12:30:00" in _text(signed_in(school.student).get("/live/my-classes"))


def test_the_class_pages_speak_the_viewers_language(app, school, signed_in, create_live_class):
    ref = create_live_class(
        school.course, starts_at=datetime(2031, 1, 15, 17, 0, tzinfo=UTC), duration_minutes=45
    )
    _set_user(app, school.student, language="fr", timezone="Europe/Paris")
    student = signed_in(school.student)
    page = _text(student.get(f"/live/classes/{ref.id}"))
    assert "Ajouter à mon agenda" in page and "45 minutes" in page
    assert "15 janvier 2031" in page and "18:00:00" in page  # Babel, French, Paris time
    page = _text(student.get("/live/my-classes"))
    assert "Mes séances en direct" in page and "Votre agenda" in page

    _set_user(app, school.student, language="ar")
    page = _text(student.get(f"/live/classes/{ref.id}"))
    assert 'dir="rtl"' in page and "المدة" in page
    assert "→" in page  # the back link's arrow points the way Arabic runs


def test_the_attendance_csv_speaks_the_readers_language_the_apis_keeps_its_keys(
    app, school, signed_in, create_live_class
):
    ref = create_live_class(school.course, starts_in=-timedelta(hours=2), status="ended")
    _set_user(app, school.instructor, language="fr")
    teacher = signed_in(school.instructor)
    header = _text(teacher.get(f"/live/classes/{ref.id}/attendance.csv")).splitlines()[0]
    assert header.startswith("étudiant,e-mail,statut,")
    api = teacher.get(f"/api/v1/live/classes/{ref.id}/attendance.csv").get_data(as_text=True)
    assert api.splitlines()[0].startswith("student,email,status,minutes,share_percent,")


def test_a_time_skipped_by_the_clock_change_is_refused(app, school, signed_in):
    _set_zone(app, "Europe/Paris")
    teacher = signed_in(school.instructor)
    r = teacher.submit(
        f"/live/courses/{school.course.id}/classes/new",
        _form(start_date="2031-03-30", start_time="02:30"),  # clocks jump from 2:00 to 3:00
    )
    assert r.status_code == 422
    assert "does not exist on that day" in _text(r)
    assert _classes(app) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start_date": "2031-02-30"}, "Give a valid date (year-month-day)."),
        ({"start_date": "next tuesday"}, "Give a valid date (year-month-day)."),
        ({"start_time": "25:99"}, "Give a valid time (hours:minutes)."),
        ({"start_date": "2020-01-01"}, "The start must be in the future."),
        ({"seats": "0"}, "The number of seats must be between 1 and 10000."),
        ({"seats": "-3"}, "The number of seats must be between 1 and 10000."),
        ({"seats": "many"}, "Not a valid integer value."),
        ({"duration_minutes": "2"}, "The duration must be between 5 and 480 minutes."),
        ({"duration_minutes": "1000"}, "The duration must be between 5 and 480 minutes."),
        ({"title": "   "}, "Give the class a title."),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"lesson_id": "999999"}, "Not a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    app, school, signed_in, overrides, message
):
    teacher = signed_in(school.instructor)
    r = teacher.submit(f"/live/courses/{school.course.id}/classes/new", _form(**overrides))
    assert r.status_code == 422
    assert message in _text(r)
    assert 'aria-invalid="true"' in _text(r)
    assert _classes(app) == []


def test_the_lesson_must_belong_to_the_course(
    app, school, signed_in, create_course, create_section, create_lesson
):
    other = create_course(school.instructor, title="Chemistry")
    foreign = create_lesson(create_section(other), "Elsewhere", type="text")
    own = create_lesson(create_section(school.course), "Live session one", type="live_class")
    teacher = signed_in(school.instructor)
    page = _text(teacher.get(f"/live/courses/{school.course.id}/classes/new"))
    assert "Live session one" in page and "Elsewhere" not in page
    r = teacher.submit(
        f"/live/courses/{school.course.id}/classes/new", _form(lesson_id=str(foreign))
    )
    assert r.status_code == 422 and _classes(app) == []
    r = teacher.submit(f"/live/courses/{school.course.id}/classes/new", _form(lesson_id=str(own)))
    assert r.status_code == 302


def test_edit_keeps_the_local_time_and_an_ended_class_cannot_be_edited(
    app, school, signed_in, create_live_class
):
    _set_zone(app, "America/New_York")
    start = datetime(2031, 1, 15, 23, 0, tzinfo=UTC)  # 18:00 in New York (UTC-5)
    ref = create_live_class(school.course, starts_at=start, title="Waves")
    teacher = signed_in(school.instructor)
    page = _text(teacher.get(f"/live/classes/{ref.id}/edit"))
    assert 'value="2031-01-15"' in page and 'value="18:00"' in page

    r = teacher.submit(
        f"/live/classes/{ref.id}/edit",
        _form(title="Waves, part 1", start_date="2031-01-16", start_time="09:15"),
    )
    assert r.status_code == 302
    [(title, starts_at, *_)] = _classes(app)
    assert title == "Waves, part 1"
    assert starts_at == datetime(2031, 1, 16, 14, 15, tzinfo=UTC)

    ended = create_live_class(school.course, starts_in=-timedelta(hours=3), status="ended")
    before = _classes(app)
    assert teacher.get(f"/live/classes/{ended.id}/edit").status_code == 409
    r = teacher.submit(
        f"/live/classes/{ended.id}/edit", _form(title="Rewritten"), page="/live/my-classes"
    )
    assert r.status_code == 409
    assert "can no longer be changed" in _text(r)
    assert _classes(app) == before


def test_start_end_and_the_refused_transitions(app, school, signed_in, create_live_class):
    ref = create_live_class(school.course)
    teacher = signed_in(school.instructor)
    student = signed_in(school.student)
    assert "The class opens when its instructor starts it." in _text(
        student.get(f"/live/classes/{ref.id}")
    )

    r = teacher.submit(f"/live/classes/{ref.id}/start", page=f"/live/classes/{ref.id}")
    assert r.status_code == 302
    assert _classes(app)[0][4] == "live"
    page = _text(teacher.get(f"/live/classes/{ref.id}"))
    assert "The class is live: students can join now." in page
    assert "End the class" in page and "Start the class" not in page

    # Starting twice: refused with a message, nothing changes.
    r = teacher.submit(
        f"/live/classes/{ref.id}/start", page=f"/live/classes/{ref.id}", follow_redirects=True
    )
    assert "Only a scheduled class can be started." in _text(r)

    teacher.submit(f"/live/classes/{ref.id}/end", page=f"/live/classes/{ref.id}")
    assert _classes(app)[0][4] == "ended"
    r = teacher.submit(
        f"/live/classes/{ref.id}/cancel", page=f"/live/classes/{ref.id}", follow_redirects=True
    )
    assert "Only a class that has not started can be cancelled." in _text(r)
    assert _classes(app)[0][4] == "ended"


def test_cancelling_tells_every_enrolled_student_in_app_and_by_mail(
    app, school, signed_in, create_live_class, worker, smtp_server
):
    from lms.models import Notification

    ref = create_live_class(school.course, title="Optics")
    teacher = signed_in(school.instructor)
    r = teacher.submit(f"/live/classes/{ref.id}/cancel", page=f"/live/classes/{ref.id}")
    assert r.status_code == 302
    assert _classes(app)[0][4] == "cancelled"
    worker.run()  # the notice job
    worker.run()  # the mails it queued
    with app.app_context():
        notes = db.session.scalars(
            db.select(Notification).where(Notification.kind == "live_class_cancelled")
        ).all()
        assert sorted(n.user_id for n in notes) == sorted(
            [school.student.id, school.other_student.id]
        )
        assert all(n.title == "Live class cancelled: Optics" for n in notes)
    for person in (school.student, school.other_student):
        [mail] = smtp_server.to(person.email)
        assert mail["Subject"] == "Live class cancelled: Optics"
    assert smtp_server.to(school.outsider.email) == []
    assert smtp_server.to(school.instructor.email) == []


def test_lists_show_upcoming_and_past_for_students_and_staff(
    app, school, signed_in, create_live_class
):
    create_live_class(school.course, title="Next week", starts_in=timedelta(days=7))
    create_live_class(
        school.course, title="Last week", starts_in=-timedelta(days=7), status="ended"
    )
    student = signed_in(school.student)
    page = _text(student.get(f"/live/courses/{school.course.id}/classes"))
    upcoming, past = page.split('id="past-title"')
    assert "Next week" in upcoming and "Last week" in past
    assert "Schedule a class" not in page

    mine = _text(student.get("/live/my-classes"))
    assert "Next week" in mine and "Last week" in mine and "Physics" in mine
    outsider_mine = _text(signed_in(school.outsider).get("/live/my-classes"))
    assert "Next week" not in outsider_mine
    assert "No class is coming up in your courses." in outsider_mine

    teacher_page = _text(
        signed_in(school.instructor).get(f"/live/courses/{school.course.id}/classes")
    )
    assert "Schedule a class" in teacher_page and "Attendance rules" in teacher_page


def test_course_page_links_to_the_classes_and_the_nav_has_my_classes(
    app, school, signed_in, create_live_class
):
    create_live_class(school.course, title="Friday session")
    student = signed_in(school.student)
    page = _text(student.get(f"/courses/{school.course.slug}"))
    assert "Friday session" in page
    assert f'href="/live/courses/{school.course.id}/classes"' in page
    assert 'href="/live/my-classes"' in page and "My classes" in page
    # Someone neither enrolled nor staff sees no box (and the list is refused).
    outsider = signed_in(school.outsider)
    assert "Friday session" not in _text(outsider.get(f"/courses/{school.course.slug}"))
    teacher = _text(signed_in(school.instructor).get(f"/courses/{school.course.slug}"))
    assert f'href="/live/courses/{school.course.id}/classes/new"' in teacher


def test_a_class_nobody_started_says_so(app, school, signed_in, create_live_class):
    ref = create_live_class(school.course, starts_in=-timedelta(hours=2), duration_minutes=30)
    page = _text(signed_in(school.instructor).get(f"/live/classes/{ref.id}"))
    assert "has not been started" in page and "Not started" in page
    assert "Start it now, change its time, or cancel it." in page
    student_page = _text(signed_in(school.student).get(f"/live/classes/{ref.id}"))
    assert "has not been started" in student_page
    assert "Start it now" not in student_page
