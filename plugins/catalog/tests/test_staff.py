"""A course's staff: owner, co-instructors, teaching assistants, and who may change them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import User


@pytest.fixture
def team(app, create_user, create_course) -> Any:
    """A draft course owned by Olga, co-taught by Ivan, with Tara as teaching assistant."""
    from lms_catalog import ASSISTANT, INSTRUCTOR, add_staff, get_course

    owner = create_user(role="instructor", name="Olga Owner")
    co = create_user(role="instructor", name="Ivan Coinstructor")
    ta = create_user(role="student", name="Tara Assistant")
    outsider = create_user(role="instructor", name="Otto Outsider")
    course = create_course(owner, "Team Taught", status="draft")
    with app.app_context():
        stored = get_course(course.id)
        boss = db.session.get(User, owner.id)
        add_staff(stored, boss, db.session.get(User, co.id), INSTRUCTOR)
        add_staff(stored, boss, db.session.get(User, ta.id), ASSISTANT)
        db.session.commit()

    class Team:
        pass

    t = Team()
    t.owner, t.co, t.ta, t.outsider, t.course = owner, co, ta, outsider, course
    return t


def _roles(app, course_id: int) -> dict[int, str]:
    from lms_catalog import get_course
    from lms_catalog.staff import staff_role

    with app.app_context():
        course = get_course(course_id)
        return {link.user_id: staff_role(course, link) for link in course.staff}


def _owner_id(app, course_id: int) -> int:
    from lms_catalog import get_course

    with app.app_context():
        return get_course(course_id).owner_id


def test_co_instructor_cannot_remove_the_owner(app, make_client, login_as, team) -> None:
    co = login_as(make_client(), team.co)
    slug = team.course.slug
    refused = co.submit(
        f"/courses/{slug}/instructors/{team.owner.id}/remove", page=f"/courses/{slug}/edit"
    )
    assert refused.status_code == 403
    assert _roles(app, team.course.id)[team.owner.id] == "owner"
    owner = login_as(make_client(), team.owner)
    assert owner.get(f"/courses/{slug}/edit").status_code == 200


def test_co_instructor_cannot_remove_the_owner_over_the_api(
    app, make_client, login_as, team
) -> None:
    co = login_as(make_client(), team.co)
    slug = team.course.slug
    refused = co.api("DELETE", f"/api/v1/courses/{slug}/staff/{team.owner.id}")
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"
    demote = co.api(
        "PATCH", f"/api/v1/courses/{slug}/staff/{team.owner.id}", json={"role": "assistant"}
    )
    assert demote.status_code == 403
    take = co.api("POST", f"/api/v1/courses/{slug}/owner", json={"user_id": team.co.id})
    assert take.status_code == 403
    # Who asks is checked before what they sent.
    nonsense = co.api("POST", f"/api/v1/courses/{slug}/owner", json={"user_id": "me"})
    assert nonsense.status_code == 403
    assert _owner_id(app, team.course.id) == team.owner.id
    owner = login_as(make_client(), team.owner)
    assert owner.api("GET", f"/api/v1/courses/{slug}").status_code == 200
    assert owner.api("PATCH", f"/api/v1/courses/{slug}", json={"subtitle": "x"}).status_code == 200


def test_co_instructor_cannot_remove_or_demote_another_instructor(
    app, make_client, login_as, team, create_user
) -> None:
    co = login_as(make_client(), team.co)
    slug = team.course.slug
    edit = f"/courses/{slug}/edit"
    assert (
        co.submit(f"/courses/{slug}/instructors/{team.ta.id}/remove", page=edit).status_code == 403
    )
    assert (
        co.submit(
            f"/courses/{slug}/instructors/{team.owner.id}/role", {"role": "assistant"}, page=edit
        ).status_code
        == 403
    )
    assert (
        co.submit(
            f"/courses/{slug}/instructors", {"email": team.outsider.email}, page=edit
        ).status_code
        == 403
    )
    assert _roles(app, team.course.id) == {
        team.owner.id: "owner",
        team.co.id: "instructor",
        team.ta.id: "assistant",
    }
    # The page offers them none of these buttons, only leaving.
    page = co.get(edit).text
    assert "Transfer ownership" not in page and "Add to staff" not in page
    assert "Leave this course" in page


def test_nobody_removes_the_owner_not_even_an_admin(
    app, make_client, login_as, team, create_user
) -> None:
    admin = login_as(make_client(), create_user(role="admin"))
    slug = team.course.slug
    response = admin.api("DELETE", f"/api/v1/courses/{slug}/staff/{team.owner.id}")
    assert response.status_code == 409
    assert "transfer ownership first" in response.json["error"]["message"]
    page = admin.submit(
        f"/courses/{slug}/instructors/{team.owner.id}/remove",
        page=f"/courses/{slug}/edit",
        follow_redirects=True,
    )
    assert "transfer ownership first" in page.text
    assert _roles(app, team.course.id)[team.owner.id] == "owner"


def test_owner_transfers_ownership_on_the_page_and_it_is_recorded(
    app, make_client, login_as, team
) -> None:
    from lms_catalog import CourseStaffChange

    owner = login_as(make_client(), team.owner)
    slug = team.course.slug
    edit = f"/courses/{slug}/edit"
    assert "Transfer ownership" in owner.get(edit).text
    response = owner.submit(f"/courses/{slug}/owner", {"user_id": str(team.co.id)}, page=edit)
    assert response.status_code == 302
    assert _roles(app, team.course.id) == {
        team.co.id: "owner",
        team.owner.id: "instructor",
        team.ta.id: "assistant",
    }
    with app.app_context():
        change = db.session.scalar(
            select(CourseStaffChange).where(CourseStaffChange.action == "owner_transferred")
        )
        assert (change.actor_id, change.user_id, change.former_owner_id) == (
            team.owner.id,
            team.co.id,
            team.owner.id,
        )
    # The former owner still edits the course but no longer decides who teaches it.
    assert owner.get(edit).status_code == 200
    again = owner.submit(f"/courses/{slug}/owner", {"user_id": str(team.owner.id)}, page=edit)
    assert again.status_code == 403
    new_owner = login_as(make_client(), team.co)
    removed = new_owner.submit(f"/courses/{slug}/instructors/{team.owner.id}/remove", page=edit)
    assert removed.status_code == 302
    assert team.owner.id not in _roles(app, team.course.id)


def test_admin_transfers_ownership_over_the_api_to_an_instructor_only(
    app, make_client, login_as, team, create_user
) -> None:
    admin = login_as(make_client(), create_user(role="admin"))
    slug = team.course.slug
    to_student = admin.api("POST", f"/api/v1/courses/{slug}/owner", json={"user_id": team.ta.id})
    assert to_student.status_code == 422
    assert "not an instructor" in to_student.json["error"]["message"]
    response = admin.api(
        "POST", f"/api/v1/courses/{slug}/owner", json={"user_id": team.outsider.id}
    )
    assert response.status_code == 200
    assert response.json[0] == {
        "id": team.outsider.id,
        "name": "Otto Outsider",
        "role": "owner",
    }
    assert _owner_id(app, team.course.id) == team.outsider.id
    assert _roles(app, team.course.id)[team.owner.id] == "instructor"


def test_bad_staff_requests_get_clear_errors(app, make_client, login_as, team) -> None:
    owner = login_as(make_client(), team.owner)
    slug = team.course.slug
    base = f"/api/v1/courses/{slug}/staff"
    assert owner.api("POST", base, json={"user_id": 999999}).status_code == 422
    bad_role = owner.api("POST", base, json={"user_id": team.outsider.id, "role": "boss"})
    assert bad_role.status_code == 422 and "role" in bad_role.json["error"]["fields"]
    twice = owner.api("POST", base, json={"user_id": team.co.id})
    assert twice.status_code == 409
    student_as_instructor = owner.api("PATCH", f"{base}/{team.ta.id}", json={"role": "instructor"})
    assert student_as_instructor.status_code == 422
    # An id beyond 64 bits matches no route (the int converter has a range): 404 or 405.
    assert owner.api("DELETE", f"{base}/{2**70}").status_code in (404, 405)
    assert owner.api("DELETE", f"{base}/424242").status_code == 404


def test_owner_adds_and_removes_staff_over_the_api(app, make_client, login_as, team) -> None:
    owner = login_as(make_client(), team.owner)
    slug = team.course.slug
    added = owner.api(
        "POST",
        f"/api/v1/courses/{slug}/staff",
        json={"user_id": team.outsider.id, "role": "assistant"},
    )
    assert added.status_code == 201
    assert {"id": team.outsider.id, "name": "Otto Outsider", "role": "assistant"} in added.json
    listed = owner.api("GET", f"/api/v1/courses/{slug}/staff").json
    assert [m["role"] for m in listed][0] == "owner"
    assert (
        owner.api("DELETE", f"/api/v1/courses/{slug}/staff/{team.outsider.id}").status_code == 204
    )
    assert team.outsider.id not in _roles(app, team.course.id)


def test_a_staff_member_may_leave(app, make_client, login_as, team) -> None:
    co = login_as(make_client(), team.co)
    slug = team.course.slug
    response = co.submit(
        f"/courses/{slug}/instructors/{team.co.id}/remove", page=f"/courses/{slug}/edit"
    )
    assert response.status_code == 302
    assert team.co.id not in _roles(app, team.course.id)
    assert co.get(f"/courses/{slug}/edit").status_code == 404  # a draft they no longer see


def test_teaching_assistant_sees_progress_but_does_not_edit(
    app, make_client, login_as, team
) -> None:
    from lms_catalog import course_permission, get_course

    ta = login_as(make_client(), team.ta)
    slug = team.course.slug
    course_page = ta.get(f"/courses/{slug}")
    assert course_page.status_code == 200  # the draft, as staff
    assert "You assist in this course." in course_page.text
    assert f"/courses/{slug}/edit" not in course_page.text
    assert f"/teach/courses/{slug}/students" in course_page.text
    assert ta.get(f"/teach/courses/{slug}/students").status_code == 200
    assert ta.get(f"/courses/{slug}/edit").status_code == 403
    assert ta.api("PATCH", f"/api/v1/courses/{slug}", json={"title": "Mine"}).status_code == 403
    with app.app_context():
        course = get_course(team.course.id)
        user = db.session.get(User, team.ta.id)
        allowed = {
            action
            for action in ("view", "edit", "grade", "moderate", "view_progress", "manage_staff")
            if course_permission(user, course, action)
        }
        assert allowed == {"view", "grade", "moderate", "view_progress"}
        # Assistants are not listed as the course's instructors.
        assert [u.id for u in course.instructors] == [team.owner.id, team.co.id]


def test_course_permission_answers_for_every_role(app, team, create_user) -> None:
    from lms_catalog import COURSE_ACTIONS, course_permission, get_course

    admin = create_user(role="admin")
    with app.app_context():
        course = get_course(team.course.id)

        def allowed(user: Any) -> set[str]:
            person = db.session.get(User, user.id) if user is not None else None
            return {a for a in COURSE_ACTIONS if course_permission(person, course, a)}

        assert allowed(team.owner) == set(COURSE_ACTIONS)
        assert allowed(admin) == set(COURSE_ACTIONS)
        assert allowed(team.co) == set(COURSE_ACTIONS) - {"manage_staff"}
        assert allowed(team.outsider) == set()
        assert allowed(None) == set()
        with pytest.raises(ValueError):
            course_permission(db.session.get(User, admin.id), course, "teleport")


def test_a_granted_role_moderates_courses_without_being_admin(
    app, make_client, login_as, create_user, create_course
) -> None:
    from lms.permissions import grant

    reviewer = create_user(role="instructor")
    author = create_user(role="instructor")
    create_course(author, "Waiting Course", status="pending")
    client = login_as(make_client(), reviewer)
    assert client.get("/admin/catalog/moderation").status_code == 403
    assert client.api("GET", "/api/v1/admin/courses?status=pending").status_code == 403
    with app.app_context():
        grant("instructor", "catalog.review_courses")
        db.session.commit()
    page = client.get("/admin/catalog/moderation")
    assert page.status_code == 200 and "Waiting Course" in page.text
    assert 'href="/admin/catalog/moderation"' in client.get("/admin").text
    # Only what was granted: the list of all courses stays an admin's.
    assert client.get("/admin/catalog/courses").status_code == 403
    assert client.api("GET", "/api/v1/admin/courses?status=pending").status_code == 403
