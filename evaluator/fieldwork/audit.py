"""What every room's operations share. Each operation takes the acting user, checks what it
needs, refuses with ``OperationError`` (a message a person can act on and an HTTP status),
writes an audit entry (``audit``) and only flushes: the request commits once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from sqlalchemy.orm import Session

from evaluator.fieldwork.models import AuditEntry, Evaluation
from evaluator.fieldwork.permissions import member_role


class OperationError(ValueError):
    """A refused operation. ``status`` is the HTTP status the web layer answers with; ``reason``
    a stable code a tablet can explain in the person's language, and ``stored_id`` the stored
    record a refused upload collided with (what an edit must name)."""

    def __init__(self, message: str, status: int = 400, problems: Sequence[Any] = (), *,
                 reason: str = "", stored_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = list(problems)
        self.reason = reason
        self.stored_id = stored_id


def audit(db: Session, user, evaluation_id: int | None, action: str, object_type: str,
          object_id: Any = "", old: Any = None, new: Any = None) -> None:
    db.add(AuditEntry(evaluation_id=evaluation_id, user_id=getattr(user, "id", None),
                      action=action, object_type=object_type, object_id=str(object_id),
                      old_value=old, new_value=new))


def require_lead(db: Session, user, evaluation: Evaluation) -> None:
    if member_role(db, user, evaluation.id) != "lead":
        raise OperationError(gettext("only the evaluation's team lead can do this"), 403)
