"""Attendance: statuses by the course's rules, the table, the CSV of every student, history."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from lms.extensions import db


def _text(response) -> str:
    return response.get_data(as_text=True)


def _finished_class(app, course, create_live_class, minutes=60, **kw):
    """A class that began 2 hours ago and lasted exactly `minutes`: returns (ref, begin)."""
    from lms_live_classes.models import LiveClass

    ref = create_live_class(
        course, starts_in=-timedelta(hours=2), duration_minutes=minutes, status="ended", **kw
    )
    with app.app_context():
        row = db.session.get(LiveClass, ref.id)
        row.ended_at = row.started_at + timedelta(minutes=minutes)
        db.session.commit()
        return ref, row.started_at


def _interval(app, class_id, user, begin, joined, left):
    """Record a presence from `joined` to `left` minutes after `begin` (left None: open)."""
    from lms_live_classes.models import AttendanceInterval

    with app.app_context():
        db.session.add(
            AttendanceInterval(
                class_id=class_id,
                user_id=user.id,
                joined_at=begin + timedelta(minutes=joined),
                left_at=None if left is None else begin + timedelta(minutes=left),
                last_seen_at=begin + timedelta(minutes=left if left is not None else joined),
            )
        )
        db.session.commit()


def _by_name(app, class_id):
    from lms_live_classes import class_attendance, get_class

    with app.app_context():
        return {row.name: row for row in class_attendance(get_class(class_id))}


def test_statuses_follow_the_default_rules(
    app, school, create_user, create_enrolment, create_live_class
):
    third = create_user(role="student", name="Abe Absent")
    create_enrolment(third, school.course)
    late = create_user(role="student", name="Lou Late")
    create_enrolment(late, school.course)
    ref, begin = _finished_class(app, school.course, create_live_class)

    _interval(app, ref.id, school.student, begin, 2, 55)  # 53 of 60 minutes: 88%
    _interval(app, ref.id, school.student, begin, 10, 30)  # a second tab: counted once
    _interval(app, ref.id, late, begin, 15, 60)  # joined after 10 minutes
    _interval(app, ref.id, school.other_student, begin, 0, 20)  # 33%: left early
    _interval(app, ref.id, school.instructor, begin, 0, 60)  # staff are not students

    rows = _by_name(app, ref.id)
    assert set(rows) == {"Sam Student", "Nia Newcomer", "Abe Absent", "Lou Late"}
    sam = rows["Sam Student"]
    assert (sam.status, sam.minutes, round(sam.share)) == ("present", 53, 88)
    assert len(sam.intervals) == 2
    assert (rows["Lou Late"].status, rows["Lou Late"].minutes) == ("late", 45)
    assert (rows["Nia Newcomer"].status, rows["Nia Newcomer"].minutes) == ("left early", 20)
    assert (rows["Abe Absent"].status, rows["Abe Absent"].minutes) == ("absent", 0)


def test_presence_outside_the_class_does_not_count(app, school, create_live_class):
    ref, begin = _finished_class(app, school.course, create_live_class, minutes=40)
    _interval(app, ref.id, school.student, begin, -30, 10)  # waited before the start
    _interval(app, ref.id, school.other_student, begin, 20, 90)  # stayed after the end
    rows = _by_name(app, ref.id)
    assert rows["Sam Student"].minutes == 10
    assert rows["Nia Newcomer"].minutes == 20


def test_the_csv_of_a_finished_class_lists_every_student_with_minutes_and_status(
    app, school, signed_in, create_user, create_enrolment, create_live_class
):
    tricky = create_user(role="student", name='=HYPERLINK("x")')
    create_enrolment(tricky, school.course)
    ref, begin = _finished_class(app, school.course, create_live_class)
    _interval(app, ref.id, school.student, begin, 1, 60)
    _interval(app, ref.id, school.other_student, begin, 30, 45)

    r = signed_in(school.instructor).get(f"/live/classes/{ref.id}/attendance.csv")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert f"attendance-class-{ref.id}.csv" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_text(r))))
    by_email = {row["email"]: row for row in rows}
    assert set(by_email) == {school.student.email, school.other_student.email, tricky.email}
    assert (
        by_email[school.student.email]["minutes"],
        by_email[school.student.email]["status"],
    ) == (
        "59",
        "present",
    )
    assert by_email[school.other_student.email]["status"] == "late"
    assert by_email[school.other_student.email]["minutes"] == "15"
    assert by_email[tricky.email]["status"] == "absent"
    assert by_email[tricky.email]["minutes"] == "0"
    # A name that a spreadsheet would run as a formula is defused.
    assert by_email[tricky.email]["student"].startswith("'=")

    # The API gives the same CSV, and the JSON of the same table.
    teacher = signed_in(school.instructor)
    api_csv = teacher.get(f"/api/v1/live/classes/{ref.id}/attendance.csv")
    assert api_csv.status_code == 200 and api_csv.get_data(as_text=True) == _text(r)
    data = teacher.get(f"/api/v1/live/classes/{ref.id}/attendance").get_json()
    assert data["total"] == 3 and data["present_share"] == 75
    assert {i["email"]: i["status"] for i in data["items"]}[school.student.email] == "present"


def test_the_attendance_table_page(app, school, signed_in, create_live_class):
    ref, begin = _finished_class(app, school.course, create_live_class, title="Optics")
    _interval(app, ref.id, school.student, begin, 0, 60)
    page = _text(signed_in(school.instructor).get(f"/live/classes/{ref.id}/attendance"))
    assert "Sam Student" in page and "Nia Newcomer" in page
    assert "Present: 1" in page and "Absent: 1" in page
    assert "<caption" in page and "Download as CSV" in page

    scheduled = create_live_class(school.course)
    page = _text(signed_in(school.instructor).get(f"/live/classes/{scheduled.id}/attendance"))
    assert "Attendance appears once the class has started." in page
    r = signed_in(school.instructor).get(f"/live/classes/{scheduled.id}/attendance.csv")
    assert r.status_code == 409


def test_course_rules_change_the_statuses(app, school, signed_in, create_live_class):
    ref, begin = _finished_class(app, school.course, create_live_class)
    _interval(app, ref.id, school.student, begin, 5, 55)  # 50 minutes: 83%
    assert _by_name(app, ref.id)["Sam Student"].status == "present"

    teacher = signed_in(school.instructor)
    url = f"/live/courses/{school.course.id}/attendance-rules"
    page = _text(teacher.get(url))
    assert 'value="10"' in page and 'value="75"' in page
    r = teacher.submit(url, {"late_after_minutes": "3", "present_share": "90"})
    assert r.status_code == 302
    assert _by_name(app, ref.id)["Sam Student"].status == "late"
    teacher.submit(url, {"late_after_minutes": "10", "present_share": "90"})
    assert _by_name(app, ref.id)["Sam Student"].status == "left early"

    for bad in (
        {"late_after_minutes": "-1", "present_share": "75"},
        {"late_after_minutes": "10", "present_share": "0"},
        {"late_after_minutes": "10", "present_share": "101"},
        {"late_after_minutes": "ten", "present_share": "75"},
    ):
        r = teacher.submit(url, bad)
        assert r.status_code == 422, bad
        assert "Must be a whole number between" in _text(r) or "Not a valid integer" in _text(r)
    assert _by_name(app, ref.id)["Sam Student"].status == "left early"  # unchanged

    # The API: same rules, same refusals.
    r = teacher.api(
        "PUT",
        f"/api/v1/live/courses/{school.course.id}/attendance-rules",
        json={"late_after_minutes": 10, "present_share": 200},
    )
    assert r.status_code == 422 and "present_share" in r.get_json()["error"]["fields"]
    r = teacher.api(
        "PUT",
        f"/api/v1/live/courses/{school.course.id}/attendance-rules",
        json={"late_after_minutes": 10, "present_share": 80},
    )
    assert r.status_code == 200 and r.get_json() == {"late_after_minutes": 10, "present_share": 80}
    assert _by_name(app, ref.id)["Sam Student"].status == "present"


def test_a_student_sees_only_their_own_history(app, school, signed_in, create_live_class):
    ref, begin = _finished_class(app, school.course, create_live_class, title="Magnetism")
    _interval(app, ref.id, school.student, begin, 0, 30)
    student = signed_in(school.student)
    page = _text(student.get("/live/my-attendance"))
    assert "Magnetism" in page and "Left early" in page and "30 (50%)" in page
    assert "Nia Newcomer" not in page
    detail = _text(student.get(f"/live/classes/{ref.id}"))
    assert "Your attendance" in detail and "Left early: 30 minutes" in detail

    data = student.get("/api/v1/live/my-attendance").get_json()
    assert data["total"] == 1
    assert data["items"][0]["attendance"]["minutes"] == 30
    assert data["items"][0]["class"]["title"] == "Magnetism"

    empty = _text(signed_in(school.outsider).get("/live/my-attendance"))
    assert "No past class yet" in empty


def test_attending_completes_the_live_class_lesson(
    app, school, signed_in, create_section, create_lesson, create_live_class
):
    from lms_live_classes import end_class, get_class
    from lms_live_classes.models import LiveClass

    lesson = create_lesson(create_section(school.course), "Live: forces", type="live_class")
    ref = create_live_class(school.course, lesson_id=lesson, status="live")
    with app.app_context():
        row = db.session.get(LiveClass, ref.id)
        row.started_at = begin = row.started_at - timedelta(minutes=30)
        db.session.commit()
    _interval(app, ref.id, school.student, begin, 1, None)  # there since the first minute

    student = signed_in(school.student)
    page = _text(student.get(f"/lessons/{lesson}"))
    assert "Attend the live class to complete this lesson." in page
    assert "Mark as complete" not in page
    assert f'href="/live/classes/{ref.id}"' in page

    with app.app_context():
        from lms.models import User

        end_class(get_class(ref.id), db.session.get(User, school.instructor.id))
        db.session.commit()
    assert "You completed this lesson" in _text(student.get(f"/lessons/{lesson}"))
    other = signed_in(school.other_student)  # never came
    assert "You completed this lesson" not in _text(other.get(f"/lessons/{lesson}"))
