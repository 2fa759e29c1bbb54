"""lms-auth: accounts, sign-in, e-mail flows, OAuth, API tokens, instructor applications."""

__all__: list[str] = []
