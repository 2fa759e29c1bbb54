"""lms-auth: accounts, sign-in, e-mail flows, OAuth, API tokens, instructor applications.

Other plugins use only what is listed in __all__:

- ``has_verified_email(user)``: may this person post in the community or pay?
- ``verified_email_required``: a view decorator refusing unconfirmed addresses
  (pages: a message; API: 403 ``email_not_verified``).
"""

from lms_auth.guards import has_verified_email, verified_email_required

__all__ = ["has_verified_email", "verified_email_required"]
