"""The plugin's background jobs: declared with @job, found when the plugin loads."""

from lms.extensions import db
from lms.i18n import _l
from lms.models import User
from lms.notifications import notify
from lms.tasks import job


@job(queue="default", retries=2, unique=True)
def welcome(user_id: int) -> str:
    """Greet a new user with an in-app notification (unique: queued once per user)."""
    user = db.session.get(User, user_id)
    if user is None:  # the account was deleted before the job ran
        return "gone"
    # Lazy: stored in the new user's language, not the language the job runs in.
    notify(user, "hello.welcome", _l("Hello from the hello plugin!"), link="/hello/")
    db.session.commit()
    return "greeted"
