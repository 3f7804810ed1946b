from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEntry, User


def record(session: Session, actor: User | None, entity: str, entity_id: Any, action: str,
           before: dict | None = None, after: dict | None = None) -> None:
    """Add an audit row to the caller's transaction (it commits or rolls back with it)."""
    session.add(AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        entity=entity, entity_id=str(entity_id), action=action,
        before=_jsonable(before), after=_jsonable(after)))


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _jsonable(values: dict | None) -> dict | None:
    if values is None:
        return None
    out = {}
    for key, value in values.items():
        if value is None or isinstance(value, (bool, int, float, str)):
            out[key] = value
        elif isinstance(value, (list, tuple)):
            out[key] = [str(v) for v in value]
        else:
            out[key] = str(value)
    return out
