"""The captions page of a video (course staff): list, upload (WebVTT or SRT), delete."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from lms_catalog import get_course
from lms_lessons import Lesson
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import Length

from lms.extensions import db
from lms.i18n import _, _l
from lms.permissions import login_required
from lms_uploads.blueprint import bp
from lms_uploads.captions import (
    CaptionError,
    captions_of,
    delete_caption,
    max_bytes,
    read_limited,
    save_caption,
)
from lms_uploads.models import Caption, Video


class CaptionForm(FlaskForm):
    file = FileField(
        _l("Caption file"),
        description=_l("WebVTT (.vtt) or SubRip (.srt), UTF-8 text. SRT is converted to WebVTT."),
        render_kw={"accept": ".vtt,.srt,text/vtt"},
    )
    language = StringField(
        _l("Language code"),
        description=_l(
            "Like en, fr, ar or pt-BR. Uploading again for a language replaces its captions."
        ),
        validators=[Length(max=16, message=_l("At most %(num)d characters.", num=16))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    label = StringField(
        _l("Name in the captions menu (optional)"),
        description=_l(
            "Shown to students, like “English” or “Français (auto)”. "
            "Left empty, the language's own name is used."
        ),
        validators=[Length(max=64, message=_l("At most %(num)d characters.", num=64))],
    )


def editable_video(video_id: int, user: Any) -> tuple[Video, Lesson, Any]:
    """Return the video with its lesson and course if `user` may edit the course; else 404/403."""
    video = db.session.get(Video, video_id)
    if video is None:
        abort(404)
    course = get_course(video.course_id)
    lesson = db.session.get(Lesson, video.lesson_id)
    if course is None or lesson is None or not course.can_view(user):
        abort(404)
    if not course.can_edit(user):
        abort(403, _("Only this course's instructors can change its captions."))
    return video, lesson, course


@bp.route("/videos/<int:video_id>/captions", methods=["GET", "POST"])
@login_required
def captions_page(video_id: int) -> Any:
    video, lesson, course = editable_video(video_id, current_user)
    form = CaptionForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if not isinstance(upload, FileStorage) or not upload.filename:
                raise CaptionError(_("Choose a caption file (WebVTT or SRT) to upload."))
            data = read_limited(upload.stream, max_bytes())
            caption, converted = save_caption(video, form.language.data, form.label.data, data)
        except CaptionError as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, str(exc)]
            status = 422
        else:
            db.session.commit()
            if converted:
                saved = _(
                    "Captions in %(label)s saved (converted from SRT to WebVTT).",
                    label=caption.label,
                )
            else:
                saved = _("Captions in %(label)s saved.", label=caption.label)
            flash(saved, "success")
            return redirect(url_for(".captions_page", video_id=video.id))
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "uploads/captions.html",
            form=form,
            video=video,
            lesson=lesson,
            course=course,
            captions=captions_of(video.id),
        ),
        status,
    )


@bp.route("/videos/<int:video_id>/captions/<int:caption_id>/delete", methods=["POST"])
@login_required
def delete_caption_page(video_id: int, caption_id: int) -> Response:
    video, _lesson, _course = editable_video(video_id, current_user)
    caption = db.session.get(Caption, caption_id)
    if caption is None or caption.video_id != video.id:
        abort(404)
    label = caption.label
    delete_caption(caption)
    db.session.commit()
    flash(_("Captions in %(label)s deleted.", label=label), "success")
    return redirect(url_for(".captions_page", video_id=video.id))
