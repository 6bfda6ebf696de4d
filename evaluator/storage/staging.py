"""No orphan files: a file written for a database row is removed if that row is not committed.

A photo must be stored before its record is acknowledged (a tablet drops a record from its
queue once acknowledged, so writing after the commit could lose a photo whose write then
failed). So the file is written first, inside the request's transaction, and ``stage``
remembers its key on the session: a rollback (a 4xx/5xx, a failed commit, an exception in a
command) deletes it again. A process killed between the write and the commit leaves a file no
row names; ``sweep_orphans`` (``evaluator storage sweep``) removes those after a grace period.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from evaluator.storage.base import Storage

log = logging.getLogger(__name__)

_PENDING = "evaluator.storage.pending"


def stage(db: Session, storage: Storage, key: str, data: bytes, content_type: str) -> None:
    """Write ``data`` under ``key`` now; delete it again unless ``db``'s transaction commits
    (rolled back, or closed without a commit)."""
    db.connection()  # the transaction whose end decides the file's fate has begun
    db.info.setdefault(_PENDING, []).append((storage, key))
    storage.put(key, data, content_type)


def track_rollbacks(session_factory) -> None:
    """Install the commit/transaction-end listeners on a sessionmaker (create_app does it)."""
    event.listen(session_factory, "after_commit", _committed)
    event.listen(session_factory, "after_transaction_end", _ended)


def _committed(db: Session) -> None:
    db.info.pop(_PENDING, None)


def _ended(db: Session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    for storage, key in db.info.pop(_PENDING, ()):
        try:
            storage.delete(key)
        except Exception:  # the sweep removes it later; the rollback itself must go on
            log.exception("could not remove %s after a rollback", key)
