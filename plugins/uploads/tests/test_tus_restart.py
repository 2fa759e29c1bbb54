"""A real web process (gunicorn, as `make run` starts it) killed mid-upload, then restarted.

The upload continues on the new process from the bytes the dead one stored,
with the tuspy client: nothing is lost, nothing is written twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
import time
from pathlib import Path

import pytest
import requests
from lms_uploads.models import COMPLETE, Upload
from tusclient import client as tus_client

from lms.extensions import db
from lms.launcher import gunicorn_command
from lms.testing.servers import free_port
from lms.testing.site import kill, start_site

MIB = 1024 * 1024

pytestmark = pytest.mark.slow


def _payload(size: int) -> bytes:
    block = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(2048))
    return (block * (size // len(block) + 1))[:size]


def _serve(test_config: dict, port: int):
    env = {
        key: str(test_config[key])
        for key in ("LMS_ENV", "DATABASE_URL", "REDIS_URL", "SITE_URL", "SOCKETIO_CHANNEL")
    }
    env.update(SOCKETIO_ASYNC_MODE="gevent", UPLOADS_LOCK_SECONDS="2", LMS_LOG_LEVEL="ERROR")
    proc = start_site(
        Path(test_config["LMS_INSTANCE_PATH"]),
        port,
        command=gunicorn_command("127.0.0.1", str(port), 1),
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the web server exited"
        try:
            requests.options(f"http://127.0.0.1:{port}/api/v1/uploads/", timeout=2)
            return proc
        except requests.RequestException:
            time.sleep(0.3)
    kill(proc)
    raise AssertionError("the web server did not start")


def test_an_upload_survives_the_web_process_being_killed(app, test_config, bearer):
    data = _payload(24 * MIB)
    port = free_port()
    first = _serve(test_config, port)
    base = f"http://127.0.0.1:{port}"
    release = threading.Event()
    try:
        r = requests.post(
            base + "/api/v1/uploads/",
            headers={**bearer, "Upload-Length": str(len(data))},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        location = r.headers["Location"]

        def body():
            # 10 MiB, then the client stalls: the server is killed while it waits for more.
            for i in range(10):
                yield data[i * MIB : (i + 1) * MIB]
            release.wait(60)
            yield data[10 * MIB :]

        def send():
            # The server dies under it: that is the point.
            with contextlib.suppress(requests.RequestException):
                requests.patch(
                    base + location,
                    data=body(),
                    headers={
                        **bearer,
                        "Upload-Offset": "0",
                        "Content-Type": "application/offset+octet-stream",
                    },
                    timeout=60,
                )

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        deadline = time.monotonic() + 30
        offset = 0
        while time.monotonic() < deadline and offset < 10 * MIB:
            offset = int(
                requests.head(base + location, headers=bearer, timeout=5).headers["Upload-Offset"]
            )
            time.sleep(0.1)
        assert offset == 10 * MIB
    finally:
        kill(first)  # SIGKILL, mid-request
        release.set()
    sender.join(10)

    port = free_port()
    second = _serve(test_config, port)
    base = f"http://127.0.0.1:{port}"
    try:
        r = requests.head(base + location, headers=bearer, timeout=5)
        assert r.status_code == 200
        assert r.headers["Upload-Offset"] == str(10 * MIB)
        tus = tus_client.TusClient(base + "/api/v1/uploads/", headers=bearer)
        uploader = tus.uploader(
            file_stream=io.BytesIO(data),
            chunk_size=4 * MIB,
            url=base + location,
            retries=10,  # 423 until the dead process's lock runs out (2 s here)
            retry_delay=1,
        )
        uploader.upload()
    finally:
        kill(second)
    upload_id = location.rsplit("/", 1)[-1]
    with app.app_context():
        upload = db.session.get(Upload, upload_id)
        assert upload.status == COMPLETE
        from lms.state import lms_state

        with lms_state(app).storage.open(upload.storage_key) as fh:
            assert hashlib.sha256(fh.read()).digest() == hashlib.sha256(data).digest()
