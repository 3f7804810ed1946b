from __future__ import annotations

from functools import wraps

from flask import Blueprint, redirect, request, url_for

from .. import permissions
from ..auth import current_actor
from ..models import Role


def role_required(*roles: Role):
    """Pages for signed-in users of these roles; the public is sent to the login page."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                return redirect(url_for("public.login", next=request.full_path.rstrip("?")))
            permissions.require_role(actor, *roles)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def side_routes(bp: Blueprint):
    """A `route(rule)` decorator serving one view under /portal (producers) and /gis
    (officials), with the side passed to it: the role decides what is offered."""
    def route(rule: str, sides=("portal", "gis"), **options):
        def decorate(view):
            for side in sides:
                bp.add_url_rule(f"/{side}{rule}", view_func=view, defaults={"side": side},
                                **options)
            return view
        return decorate
    return route
