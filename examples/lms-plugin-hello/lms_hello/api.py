"""The plugin's JSON API: mounted under /api/v1 and documented in /api/v1/openapi.json."""

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from lms.api import ApiBlueprint
from lms.extensions import db
from lms.i18n import _l
from lms.permissions import permission_required
from lms_hello import services

# Named "<plugin>_api": blueprint names are global in the app.
blp = ApiBlueprint("hello_api", __name__, url_prefix="/hello", description="The hello counter.")


class HelloCounterOut(Schema):
    # Schema class names become OpenAPI component names, shared by every plugin:
    # start them with the plugin's name so that they never collide.
    new_users = fields.Integer(metadata={"description": "Users registered since install."})


@blp.route("/counter")
class Counter(MethodView):
    @blp.response(200, HelloCounterOut)
    def get(self) -> dict[str, Any]:
        """Return the counter (anyone may read it)."""
        return {"new_users": services.counter(services.NEW_USERS)}

    # 401 without a token or session, 403 without the permission; checked before
    # anything else runs, and documented in the OpenAPI document.
    @permission_required("hello.reset", message=_l("You may not reset the counter."))
    @blp.response(200, HelloCounterOut)
    def delete(self) -> dict[str, Any]:
        """Reset the counter (holders of the `hello.reset` permission)."""
        services.reset(services.NEW_USERS)
        db.session.commit()
        return {"new_users": 0}
