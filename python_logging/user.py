"""The user a request acts for, recorded as ECS `user.*` on every line of the request."""

from __future__ import annotations

from python_logging.context import add_context_fields


def set_user(user_id: object, *, name: str | None = None, email: str | None = None) -> None:
    """Bind `user.id` (and optionally `user.name`, `user.email`) to the current request."""
    if user_id is None or str(user_id) == "":
        raise ValueError("set_user() needs a user id")
    user = {"id": str(user_id)}
    if name:
        user["name"] = name
    if email:
        user["email"] = email
    add_context_fields({"user": user})
