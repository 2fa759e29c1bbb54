"""Flask extensions, created unbound here and initialised once in create_app()."""

from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from lms.i18n import LmsBabel

# Named constraints so that migrations can alter them on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LmsSQLAlchemy(SQLAlchemy):
    def paginate(self, select: Any, *, page: int | None = None, **kwargs: Any) -> Any:
        """Paginate like Flask-SQLAlchemy, reading ?page= through ``lms.pagination.page_number``.

        Its own reading takes any integer, and an offset past 2**63 makes the
        database driver raise (a 500 for ``?page=99999999999999999999``).
        """
        if page is None and has_request_context():
            from lms.pagination import page_number

            page = page_number(request.args.get("page"))
        return super().paginate(select, page=page, **kwargs)


db = LmsSQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = LmsBabel()


def get_socketio(app: Flask | None = None) -> SocketIO:
    """Return the app's Socket.IO server.

    One per app rather than one per process: each app built by the test suite
    gets its own server and namespaces instead of taking over the last one's.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions["socketio"]
