"""Removing files no row names: what a process killed between writing a photo and committing
its record left behind (a rollback removes the others itself: evaluator.storage.staging)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluator.db import utcnow
from evaluator.storage.base import Storage

#: A file younger than this may belong to a request still running; it is left alone.
GRACE = timedelta(hours=1)


def sweep_orphans(db: Session, storage: Storage, *, grace: timedelta = GRACE,
                  now: datetime | None = None, dry_run: bool = False) -> list[str]:
    """Delete every ``attachments/<evaluation>/<token>`` file older than ``grace`` whose token
    no attachment row has; returns their keys."""
    from evaluator.fieldwork.models import Attachment

    cutoff = (now or utcnow()) - grace
    known = set(db.scalars(select(Attachment.token)))
    swept = []
    for stored in storage.list("attachments/"):
        token = stored.key.rsplit("/", 1)[-1]
        if token in known or stored.modified > cutoff:
            continue
        if not dry_run:
            storage.delete(stored.key)
        swept.append(stored.key)
    return swept
