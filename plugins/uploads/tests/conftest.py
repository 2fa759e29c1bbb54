"""Shared pieces of the uploads plugin's tests: people, a token, raw tus requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from lms_uploads.testing import TUS, api_token, tus_metadata


@pytest.fixture
def instructor(create_user: Callable[..., Any]) -> Any:
    return create_user(role="instructor", username="ines")


@pytest.fixture
def bearer(app: Any, instructor: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(app, instructor.username)}", **TUS}


@pytest.fixture
def http(live_server: Any) -> Iterator[Callable[..., requests.Response]]:
    """Return call(method, path, **kwargs) against the live server."""
    session = requests.Session()

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else live_server.url + path
        return session.request(method, url, timeout=30, **kwargs)

    yield call
    session.close()


@pytest.fixture
def create_tus_upload(
    http: Callable[..., requests.Response],
) -> Callable[..., str]:
    """Return create(headers, length, **meta) -> the upload's path (POST, checked 201)."""

    def create(headers: dict[str, str], length: int, **meta: Any) -> str:
        r = http(
            "POST",
            "/api/v1/uploads/",
            headers={
                **headers,
                "Upload-Length": str(length),
                "Upload-Metadata": tus_metadata(**meta),
            },
        )
        assert r.status_code == 201, r.text
        return r.headers["Location"]

    return create
