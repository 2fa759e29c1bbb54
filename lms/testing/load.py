"""A school's ordinary concurrent load against a running site, for tests and benchmarks.

`seed_school()` puts people and courses into the site's database;
`add_lessons()` gives each course a published lesson through the HTTP API;
`MixedLoad` then drives, at the same time and for a bounded time: sign-ins
(API login, then GET /api/v1/auth/me with the new token), profile writes
(PATCH /api/v1/users/me), enrolments (enrol, then leave again), "mark
complete" on lessons, anonymous catalog pages, and optionally one client
that sends a PATCH body one byte a second. Every request is recorded.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask

PASSWORD = "load-test-password-1"
SLOW_BODY = b'{"name": "Slow Sam"}'  # sent one byte a second: 20 s


@dataclass
class School:
    """Logins and course slugs the load uses (every password is PASSWORD)."""

    instructor: str
    students: list[str]
    courses: list[str]
    lessons: list[int] = field(default_factory=list)


def seed_school(app: Flask, students: int = 16, courses: int = 6, prefix: str = "load") -> School:
    """Create an admin, an instructor owning `courses` published courses, and `students`."""
    from lms_catalog import Course, CourseInstructor

    from lms.extensions import db
    from lms.models import Role, User, utcnow

    now = utcnow()
    with app.app_context():

        def person(name: str, role: Role) -> User:
            user = User(
                email=f"{name}@{prefix}.test",
                username=name,
                name=name.replace("-", " ").title(),
                role=role,
                email_verified_at=now,
            )
            user.set_password(PASSWORD)
            db.session.add(user)
            return user

        person(f"{prefix}-admin", Role.ADMIN)
        teacher = person(f"{prefix}-teacher", Role.INSTRUCTOR)
        learners = [person(f"{prefix}-student-{n}", Role.STUDENT) for n in range(students)]
        db.session.flush()
        slugs = [f"{prefix}-course-{n}" for n in range(courses)]
        for n, slug in enumerate(slugs):
            course = Course(
                slug=slug,
                title=f"Load course {n}",
                description_md="A course for the load test.",
                status="published",
                published_at=now,
                owner_id=teacher.id,
            )
            course.instructor_links.append(CourseInstructor(user_id=teacher.id, position=0))
            db.session.add(course)
        db.session.commit()
        return School(
            instructor=f"{teacher.email}", students=[u.email for u in learners], courses=slugs
        )


def login(base_url: str, email: str, http: requests.Session | None = None) -> str:
    """Sign in through the API; return the bearer token."""
    response = (http or requests).post(
        f"{base_url}/api/v1/auth/login", json={"login": email, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["token"])


def add_lessons(base_url: str, school: School) -> None:
    """Give each course a section with one published text lesson, as its instructor would."""
    headers = {"Authorization": f"Bearer {login(base_url, school.instructor)}"}
    for slug in school.courses:
        section = requests.post(
            f"{base_url}/api/v1/courses/{slug}/sections",
            json={"title": "Week 1"},
            headers=headers,
            timeout=30,
        )
        section.raise_for_status()
        lesson = requests.post(
            f"{base_url}/api/v1/sections/{section.json()['id']}/lessons",
            json={
                "type": "text",
                "title": "Read this",
                "status": "published",
                "content": {"markdown": "Some **text**."},
            },
            headers=headers,
            timeout=30,
        )
        lesson.raise_for_status()
        school.lessons.append(int(lesson.json()["id"]))


@dataclass
class Sample:
    kind: str
    write: bool
    started: float  # time.monotonic()
    seconds: float
    status: int  # 0: no answer (connection refused or reset, timeout)


@dataclass
class LoadReport:
    samples: list[Sample]
    seconds: float
    slow_client: Sample | None = None

    @property
    def errors(self) -> list[Sample]:
        """Answers of 500 or more, and requests that got no answer."""
        return [s for s in self.samples if s.status == 0 or s.status >= 500]

    @property
    def writes_per_second(self) -> float:
        ok = [s for s in self.samples if s.write and 200 <= s.status < 300]
        return len(ok) / self.seconds

    def percentile_ms(self, pct: float, kind: str | None = None) -> float:
        times = sorted(s.seconds for s in self.samples if kind is None or s.kind == kind)
        if not times:
            return 0.0
        index = min(len(times) - 1, int(len(times) * pct / 100))
        return times[index] * 1000

    def summary(self) -> str:
        """One line per kind: count, statuses, median and slowest."""
        lines = []
        for kind in sorted({s.kind for s in self.samples}):
            mine = [s for s in self.samples if s.kind == kind]
            statuses: dict[int, int] = {}
            for s in mine:
                statuses[s.status] = statuses.get(s.status, 0) + 1
            lines.append(
                f"{kind:<10} n={len(mine):<5} statuses={statuses} "
                f"median={statistics.median(s.seconds for s in mine) * 1000:.0f}ms "
                f"max={max(s.seconds for s in mine) * 1000:.0f}ms"
            )
        if self.slow_client is not None:
            lines.append(
                f"slow body  status={self.slow_client.status} "
                f"seconds={self.slow_client.seconds:.1f}"
            )
        return "\n".join(lines)


class MixedLoad:
    """Drive the mix against `base_url` for `seconds` (see the module's docstring).

    With `think_seconds` each person pauses after every answer, as people do;
    without, each sends its next request at once (a benchmark's pace).
    """

    def __init__(
        self,
        base_url: str,
        school: School,
        seconds: float,
        *,
        think_seconds: float = 0.0,
        request_timeout: float = 30,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.school = school
        self.seconds = seconds
        self.think = think_seconds  # each person's pause after every answer
        self.timeout = request_timeout
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._deadline = 0.0

    # --- one request, recorded ---------------------------------------------------------

    def _call(
        self, http: requests.Session, kind: str, method: str, path: str, **kwargs: Any
    ) -> requests.Response | None:
        started = time.monotonic()
        try:
            response: requests.Response | None = http.request(
                method, self.base_url + path, timeout=self.timeout, **kwargs
            )
            status = response.status_code if response is not None else 0
        except requests.RequestException:
            response, status = None, 0
        sample = Sample(kind, method != "GET", started, time.monotonic() - started, status)
        with self._lock:
            self.samples.append(sample)
        if self.think:
            time.sleep(self.think)
        return response

    def _token_call(self, http: requests.Session, kind: str, email: str) -> str | None:
        response = self._call(
            http, kind, "POST", "/api/v1/auth/login", json={"login": email, "password": PASSWORD}
        )
        if response is None or response.status_code != 200:
            return None
        return str(response.json()["token"])

    # --- the people ------------------------------------------------------------------------

    def _signing_in(self, email: str) -> None:
        http = requests.Session()
        while time.monotonic() < self._deadline:
            token = self._token_call(http, "login", email)
            if token:
                headers = {"Authorization": f"Bearer {token}"}
                self._call(http, "me", "GET", "/api/v1/auth/me", headers=headers)

    def _editing_profile(self, token: str) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        n = 0
        while time.monotonic() < self._deadline:
            n += 1
            body = {"name": f"Writer {n}", "bio": f"Edit number {n}."}
            self._call(http, "profile", "PATCH", "/api/v1/users/me", json=body, headers=headers)

    def _enrolling(self, token: str) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        n = 0
        while time.monotonic() < self._deadline:
            path = f"/api/v1/courses/{self.school.courses[n % len(self.school.courses)]}/enroll"
            n += 1
            self._call(http, "enrol", "POST", path, headers=headers)
            self._call(http, "enrol", "DELETE", path, headers=headers)

    def _completing(self, token: str) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        n = 0
        while time.monotonic() < self._deadline:
            path = f"/api/v1/lessons/{self.school.lessons[n % len(self.school.lessons)]}/complete"
            n += 1
            self._call(http, "complete", "POST", path, headers=headers)

    def _reading_catalog(self) -> None:
        http = requests.Session()
        while time.monotonic() < self._deadline:
            self._call(http, "catalog", "GET", "/courses")

    def _sending_slowly(self, token: str, report: list[Sample]) -> None:
        """PATCH the profile with a body that arrives one byte a second."""
        parts = urlsplit(self.base_url)
        head = (
            f"PATCH /api/v1/users/me HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(SLOW_BODY)}\r\nConnection: close\r\n\r\n"
        ).encode()
        started = time.monotonic()
        status = 0
        try:
            with socket.create_connection((parts.hostname, parts.port or 80), timeout=60) as sock:
                sock.sendall(head)
                for byte in SLOW_BODY:
                    time.sleep(1)
                    sock.sendall(bytes([byte]))
                answer = b""
                while b"\r\n" not in answer:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
                status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
        except OSError:
            status = 0
        report.append(Sample("slow-body", True, started, time.monotonic() - started, status))

    # --- the run ---------------------------------------------------------------------------

    def run(
        self,
        *,
        signing_in: int = 4,
        editing: int = 2,
        enrolling: int = 2,
        completing: int = 2,
        reading: int = 2,
        slow_client: bool = False,
    ) -> LoadReport:
        """Run every role at once for `self.seconds`; return what each request got."""
        people = iter(self.school.students)
        slow: list[Sample] = []
        # Signed in and enrolled before the clock starts: the load is what is measured.
        tokens = {
            role: [login(self.base_url, next(people)) for _ in range(count)]
            for role, count in (
                ("editing", editing),
                ("enrolling", enrolling),
                ("completing", completing),
                ("slow", int(slow_client)),
            )
        }
        for token in tokens["completing"]:
            for slug in self.school.courses:
                requests.post(
                    f"{self.base_url}/api/v1/courses/{slug}/enroll",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=self.timeout,
                ).raise_for_status()
        jobs: list[Callable[[], None]] = []
        jobs += [lambda e=next(people): self._signing_in(e) for _ in range(signing_in)]
        jobs += [lambda t=t: self._editing_profile(t) for t in tokens["editing"]]
        jobs += [lambda t=t: self._enrolling(t) for t in tokens["enrolling"]]
        jobs += [lambda t=t: self._completing(t) for t in tokens["completing"]]
        jobs += [self._reading_catalog for _ in range(reading)]
        jobs += [lambda t=t: self._sending_slowly(t, slow) for t in tokens["slow"]]
        self._deadline = time.monotonic() + self.seconds
        started = time.monotonic()
        threads = [threading.Thread(target=job, daemon=True) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.seconds + self.timeout + 30)
        return LoadReport(
            self.samples, time.monotonic() - started, slow_client=slow[0] if slow else None
        )
