"""Who may do what in an evaluation (权限). Plain functions of the user and their membership.

Global roles (users.role) say what a person is: administrator, rubric author, team lead,
evaluator, viewer (report recipient). A membership says what they are in one evaluation:
lead, evaluator or viewer. Administrators may do everything; an evaluator sees only the
households assigned to them; a viewer only the finished report of evaluations they are named on.
"""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from evaluator.fieldwork.models import Assignment, Evaluation, Membership

#: Which global roles may hold which evaluation role.
ALLOWED_MEMBER_ROLES = {
    "admin": ("lead", "evaluator", "viewer"),
    "lead": ("lead", "evaluator", "viewer"),
    "evaluator": ("evaluator", "viewer"),
    "author": ("viewer",),
    "viewer": ("viewer",),
    "unit": ("unit",),
}


def member_role(db: Session, user, evaluation_id: int) -> str | None:
    """The user's role in the evaluation; administrators count as leads everywhere."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.role == "admin":
        return "lead"
    return db.scalar(select(Membership.role).where(
        Membership.evaluation_id == evaluation_id, Membership.user_id == user.id))


def evaluation_and_role(db: Session, user, evaluation_id: int
                        ) -> tuple[Evaluation | None, str | None]:
    """The evaluation and the user's role in it (``member_role``'s rules) in one query, as
    every request about one evaluation starts."""
    if not getattr(user, "is_authenticated", False):
        return db.get(Evaluation, evaluation_id), None
    row = db.execute(select(Evaluation, Membership.role)
                     .outerjoin(Membership, and_(Membership.evaluation_id == Evaluation.id,
                                                 Membership.user_id == user.id))
                     .where(Evaluation.id == evaluation_id)).first()
    if row is None:
        return None, None
    evaluation, role = row
    return evaluation, "lead" if user.role == "admin" else role


def can_create_evaluation(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in ("admin", "lead")


def can_manage(role: str | None) -> bool:
    """Roster, sample, assignments, review, exports: the evaluation's lead (or an admin)."""
    return role == "lead"


def can_collect(role: str | None) -> bool:
    return role in ("lead", "evaluator")


def can_view_scores(role: str | None, evaluation: Evaluation) -> bool:
    """Leads follow the scores live; viewers see them once the evaluation is finished."""
    return role == "lead" or (role == "viewer" and evaluation.status == "finished")


def can_open_household(db: Session, user, role: str | None, household_pk: int,
                       source: str) -> bool:
    """Leads open every household; an evaluator only those assigned to them for ``source``."""
    if role == "lead":
        return True
    if role != "evaluator":
        return False
    return db.scalar(select(Assignment.id).where(
        Assignment.household_pk == household_pk, Assignment.source == source,
        Assignment.user_id == user.id)) is not None


def visible_evaluations(db: Session, user) -> list[tuple[Evaluation, str]]:
    """(evaluation, role) pairs the user can open, newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.role == "admin":
        rows = db.scalars(select(Evaluation).order_by(Evaluation.id.desc()))
        return [(e, "lead") for e in rows]
    rows = db.execute(select(Evaluation, Membership.role)
                      .join(Membership, Membership.evaluation_id == Evaluation.id)
                      .where(Membership.user_id == user.id)
                      .order_by(Evaluation.id.desc()))
    return [(e, role) for e, role in rows]
