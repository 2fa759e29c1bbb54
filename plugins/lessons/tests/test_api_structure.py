"""Sections and lessons over the API: create, list, edit, reorder, delete; bad input."""

from __future__ import annotations


def test_instructor_builds_sections_and_lessons(school, create_course, as_user):
    course = create_course(school.instructor, status="draft")
    api = as_user(school.instructor)
    r = api.api("POST", f"/api/v1/courses/{course.slug}/sections", json={"title": "Basics"})
    assert r.status_code == 201, r.json
    basics = r.json["id"]
    r = api.api("POST", f"/api/v1/courses/{course.slug}/sections", json={"title": "  Next  "})
    assert r.json["title"] == "Next" and r.json["position"] == 2

    r = api.api(
        "POST",
        f"/api/v1/sections/{basics}/lessons",
        json={"type": "text", "title": "Intro", "content": {"markdown": "# Hi\n\n`code`"}},
    )
    assert r.status_code == 201, r.json
    lesson = r.json
    assert lesson["status"] == "draft" and lesson["type"] == "text"
    assert "<h1" in lesson["content"]["html"] and lesson["content"]["markdown"].startswith("# Hi")

    r = api.api(
        "PATCH",
        f"/api/v1/lessons/{lesson['id']}",
        json={"status": "published", "duration_seconds": 90},
    )
    assert r.status_code == 200 and r.json["status"] == "published"

    r = api.api("GET", f"/api/v1/courses/{course.slug}/sections")
    assert [s["title"] for s in r.json["items"]] == ["Basics", "Next"]
    assert r.json["items"][0]["lessons"][0]["title"] == "Intro"


def test_markdown_is_sanitised_and_code_highlighted(school, create_course, create_section, as_user):
    course = create_course(school.instructor)
    section = create_section(course)
    api = as_user(school.instructor)
    md = (
        "<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n"
        "```python\ndef f():\n    return 1\n```"
    )
    r = api.api(
        "POST",
        f"/api/v1/sections/{section}/lessons",
        json={"type": "text", "title": "T", "content": {"markdown": md}},
    )
    html = r.json["content"]["html"]
    assert "<script" not in html and "javascript:" not in html
    assert 'class="highlight"' in html and '<span class="k">def</span>' in html


def test_bad_input_is_refused_with_clear_messages_and_changes_nothing(
    school, create_course, create_section, as_user
):
    course = create_course(school.instructor)
    section = create_section(course)
    api = as_user(school.instructor)
    url = f"/api/v1/sections/{section}/lessons"
    cases = [
        ({"type": "text", "title": ""}, "title"),
        ({"type": "text", "title": "x" * 201}, "title"),
        ({"type": "text", "title": 5}, "title"),
        ({"type": "nope", "title": "T"}, "type"),
        ({"type": "text", "title": "T", "duration_seconds": "ten"}, "duration_seconds"),
        ({"type": "text", "title": "T", "duration_seconds": -1}, "duration_seconds"),
        ({"type": "text", "title": "T", "status": "live"}, "status"),
        ({"type": "text", "title": "T", "free_preview": "yes"}, "free_preview"),
        ({"type": "text", "title": "T", "content": "just text"}, "content"),
        ({"type": "text", "title": "T", "content": {"markdown": 12}}, "content.markdown"),
        ({"type": "text", "title": "T", "content": {"video": "x"}}, "content"),
        ({"type": "text", "title": "T", "status": "published"}, "status"),  # empty text
        ({"type": "file", "title": "T", "status": "published"}, "status"),  # no file yet
    ]
    for body, field in cases:
        r = api.api("POST", url, json=body)
        assert r.status_code == 422, (body, r.json)
        assert field in r.json["error"]["fields"], (body, r.json)
        assert r.json["error"]["message"]
    r = api.api("POST", url, json=["not", "an", "object"])
    assert r.status_code == 422
    r = api.api("POST", url, json={"type": "text", "title": "T", "colour": "red"})
    assert r.status_code == 422 and "colour" in r.json["error"]["fields"]
    assert api.api("GET", url).json["total"] == 0  # nothing was created


def test_unicode_titles_round_trip(school, create_course, create_section, as_user):
    course = create_course(school.instructor)
    section = create_section(course)
    api = as_user(school.instructor)
    title = "Ünïcödé — درس ١ 🌱"
    r = api.api(
        "POST", f"/api/v1/sections/{section}/lessons", json={"type": "text", "title": title}
    )
    assert r.status_code == 201 and r.json["title"] == title


def test_reorder_lessons_and_sections(
    school, create_course, create_section, create_lesson, as_user
):
    course = create_course(school.instructor)
    s1, s2 = create_section(course, "One"), create_section(course, "Two")
    a, b, c = (create_lesson(s1, t) for t in ("A", "B", "C"))
    d = create_lesson(s2, "D")
    api = as_user(school.instructor)

    r = api.api("POST", f"/api/v1/sections/{s1}/lessons/reorder", json={"ids": [c, a, b]})
    assert r.status_code == 200, r.json
    assert [x["title"] for x in api.api("GET", f"/api/v1/sections/{s1}/lessons").json["items"]] == [
        "C",
        "A",
        "B",
    ]

    # Moving a lesson between sections: the destination takes it, the source lists the rest.
    assert (
        api.api("POST", f"/api/v1/sections/{s2}/lessons/reorder", json={"ids": [a, d]}).status_code
        == 200
    )
    assert (
        api.api("POST", f"/api/v1/sections/{s1}/lessons/reorder", json={"ids": [b, c]}).status_code
        == 200
    )
    assert [x["title"] for x in api.api("GET", f"/api/v1/sections/{s2}/lessons").json["items"]] == [
        "A",
        "D",
    ]

    r = api.api("POST", f"/api/v1/courses/{course.slug}/sections/reorder", json={"ids": [s2, s1]})
    assert [s["title"] for s in r.json["items"]] == ["Two", "One"]

    for bad in ([b], [b, c, c], [b, c, 99999], "b,c", [b, "c"], [True, c]):
        r = api.api("POST", f"/api/v1/sections/{s1}/lessons/reorder", json={"ids": bad})
        assert r.status_code == 422 and "ids" in r.json["error"]["fields"], bad
    r = api.api("POST", f"/api/v1/courses/{course.slug}/sections/reorder", json={"ids": [s1]})
    assert r.status_code == 422
    assert [x["title"] for x in api.api("GET", f"/api/v1/sections/{s1}/lessons").json["items"]] == [
        "B",
        "C",
    ]


def test_lesson_of_another_course_cannot_be_pulled_in(
    school, create_course, create_section, create_lesson, as_user
):
    mine = create_course(school.instructor)
    theirs = create_course(school.other_instructor)
    s_mine, s_theirs = create_section(mine), create_section(theirs)
    foreign = create_lesson(s_theirs, "Theirs")
    r = as_user(school.instructor).api(
        "POST", f"/api/v1/sections/{s_mine}/lessons/reorder", json={"ids": [foreign]}
    )
    assert r.status_code == 422


def test_rename_and_delete(school, create_course, create_section, create_lesson, as_user):
    course = create_course(school.instructor)
    section = create_section(course)
    lesson = create_lesson(section)
    api = as_user(school.instructor)
    assert (
        api.api("PATCH", f"/api/v1/sections/{section}", json={"title": "Renamed"}).json["title"]
        == "Renamed"
    )
    assert api.api("PATCH", f"/api/v1/sections/{section}", json={"title": " "}).status_code == 422
    assert api.api("DELETE", f"/api/v1/lessons/{lesson}").status_code == 204
    assert api.api("GET", f"/api/v1/lessons/{lesson}").status_code == 404
    assert api.api("DELETE", f"/api/v1/sections/{section}").status_code == 204
    assert api.api("GET", f"/api/v1/courses/{course.slug}/sections").json["total"] == 0


def test_type_cannot_change(school, create_course, create_section, create_lesson, as_user):
    course = create_course(school.instructor)
    lesson = create_lesson(create_section(course))
    r = as_user(school.instructor).api("PATCH", f"/api/v1/lessons/{lesson}", json={"type": "file"})
    assert r.status_code == 422 and "type" in r.json["error"]["fields"]


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/courses/{slug}/sections",
        "/api/v1/courses/{slug}/sections/reorder",
        "/api/v1/sections/{section_id}",
        "/api/v1/sections/{section_id}/lessons",
        "/api/v1/sections/{section_id}/lessons/reorder",
        "/api/v1/lessons/{lesson_id}",
        "/api/v1/lessons/{lesson_id}/file",
        "/api/v1/lessons/{lesson_id}/progress",
        "/api/v1/lessons/{lesson_id}/complete",
    ):
        assert path in paths, path
