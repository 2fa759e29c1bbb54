"""The class room page: /live/classes/<id>/room (video or chat-only, chat, hand, roster)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from lms.extensions import db
from lms.models import User
from lms.permissions import login_required
from lms_live_classes.blueprint import bp
from lms_live_classes.joining import STAFF, room_role
from lms_live_classes.models import ChatMessage
from lms_live_classes.room import get_provider
from lms_live_classes.scheduling import LiveClassError, course_of, get_class

CHAT_HISTORY = 50


@bp.route("/classes/<int:class_id>/room")
@login_required
def room(class_id: int) -> tuple[str, int] | str:
    try:
        live_class = get_class(class_id)
        role = room_role(current_user, live_class)
    except LiveClassError as exc:
        return render_template("live_classes/room_closed.html", message=exc.message,
                               class_id=class_id), exc.status  # fmt: skip
    rows = db.session.execute(
        select(ChatMessage, User.name)
        .outerjoin(User, User.id == ChatMessage.user_id)
        .where(ChatMessage.class_id == live_class.id, ChatMessage.deleted_at.is_(None))
        .order_by(ChatMessage.id.desc())
        .limit(CHAT_HISTORY)
    ).all()
    return render_template(
        "live_classes/room.html",
        live_class=live_class,
        course=course_of(live_class),
        is_staff=role == STAFF,
        video=get_provider().join_config(live_class, current_user, role),
        messages=list(reversed(rows)),
    )
