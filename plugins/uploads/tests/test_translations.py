"""The uploads plugin speaks the reader's language: refusals, captions, the player, the job."""

from __future__ import annotations

import io
from types import SimpleNamespace

from lms.extensions import db
from lms.i18n import user_locale
from lms.settings import set_setting

FR = {"Accept-Language": "fr"}
AR = {"Accept-Language": "ar"}
MIB = 1024 * 1024


def test_a_refused_upload_says_why_in_french(app, bearer, make_client):
    with app.app_context():
        set_setting("uploads", "max_file_size_mb", 5)
        db.session.commit()
    r = make_client().post(
        "/api/v1/uploads/",
        headers={**bearer, **FR, "Upload-Length": str(5 * MIB + 1), "Content-Length": "0"},
    )
    assert r.status_code == 413
    error = r.get_json()["error"]
    assert error["code"] == "file_too_large"  # machine codes stay as they are
    assert error["message"] == (
        "Ce fichier fait 5 Mo ; l’envoi le plus volumineux autorisé est de 5 Mo."
    )


def test_caption_errors_name_the_line_in_arabic(video_world, make_client, login_as):
    world = video_world()
    client = login_as(make_client(), world.instructor)
    r = client.post(
        f"/api/v1/videos/{world.video_id}/captions",
        data={
            "file": (io.BytesIO(b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nHi\n"), "b.vtt"),
            "language": "ar",
            "label": "",
        },
        content_type="multipart/form-data",
        headers={"X-CSRFToken": client.csrf_token("/"), **AR},
    )
    assert r.status_code == 422
    message = r.get_json()["error"]["fields"]["file"][0]
    assert message == "السطر 3: ينتهي المقطع قبل أن يبدأ (00:00:05.000 --> 00:00:01.000)."


def test_player_and_captions_page_in_french(video_world, make_client, login_as):
    world = video_world()
    student = login_as(make_client(), world.student)
    page = student.get(f"/lessons/{world.lesson_id}", headers=FR).get_data(as_text=True)
    assert "Qualité" in page and "Vitesse" in page and "Clavier, la vidéo ayant le focus" in page
    assert 'aria-label="Vidéo : Lights"' in page
    owner = login_as(make_client(), world.instructor)
    page = owner.get(f"/videos/{world.video_id}/captions", headers=FR).get_data(as_text=True)
    assert "Cette vidéo n’a pas encore de sous-titres." in page
    page = owner.get(f"/lessons/{world.lesson_id}/edit", headers=FR).get_data(as_text=True)
    assert "Prête : les étudiants peuvent la regarder." in page


def test_the_transcode_job_speaks_its_owners_language(app):
    from lms_uploads.transcode import FINAL_FAILURE, waiting_message

    with app.app_context():
        with user_locale(SimpleNamespace(language="fr")):
            assert waiting_message(3) == "En attente de traitement : 2 avant elle."
            assert str(FINAL_FAILURE).startswith("Le traitement de la vidéo a échoué")
        with user_locale(SimpleNamespace(language="ar")):
            assert waiting_message(2) == "في انتظار المعالجة: واحد قبله في الدور."
        assert waiting_message(2) == "Waiting to be processed: 1 ahead in line."
