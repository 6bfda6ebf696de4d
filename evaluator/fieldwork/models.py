"""Fieldwork tables. The database enforces the closed vocabularies and the invariants (CHECK).

Models hold data only: no URLs, no mail, no current user. Who may do what is in
permissions.py; what changes together is in each room's operations.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow

EVALUATION_STATUSES = ("setup", "fieldwork", "finished")
MEMBER_ROLES = ("lead", "evaluator", "viewer", "unit")
#: A finding withdrawn after an upheld appeal stays on record but counts for nothing.
FINDING_STATUSES = ("active", "withdrawn")
RECTIFICATION_STATES = ("open", "in_progress", "submitted", "verified")
#: Which review states count toward scores: only approved records, or every record not rejected.
COUNT_POLICIES = ("approved", "not_rejected")
#: Review states as ODK Central names them.
REVIEW_STATES = ("received", "hasIssues", "edited", "approved", "rejected")
#: Sources collected per household by an assigned evaluator (forum records are per meeting).
ASSIGNED_SOURCES = ("household", "file_check")
DRAW_ROLES = ("sample", "reserve")
#: Why a drawn household gave no interview, as the team recorded it (无应答).
NONRESPONSE_OUTCOMES = ("refused", "unreached")
ASSIGNMENT_STATUSES = ("assigned", "submitted")
SEVERITIES = ("minor", "major", "critical")
RECHECK_OUTCOMES = ("pending", "confirmed", "differs")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
# audio, video and file questions (XLSForm): the formats phones record and PDF documents.
MEDIA_TYPES = ("audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav", "audio/webm", "audio/amr",
               "audio/3gpp", "video/mp4", "video/webm", "video/3gpp", "video/quicktime",
               "application/pdf")
ATTACHMENT_TYPES = PHOTO_TYPES + MEDIA_TYPES
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024  # a recording; a record's JSON body holds 32 MB


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Evaluation(Base):
    """One evaluation (一次评估): a rubric version, its surveys, a roster, a sample, a team."""

    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint(_in("status", EVALUATION_STATUSES), name="status_known"),
        CheckConstraint(_in("count_policy", COUNT_POLICIES), name="count_policy_known"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("min_interview_minutes >= 0", name="min_minutes_positive"),
        CheckConstraint("aid_tolerance >= 0", name="aid_tolerance_positive"),
        CheckConstraint("key <> ''", name="key_present"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                        name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                        name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    evaluated_unit: Mapped[str] = mapped_column(String(200))
    commissioning_body: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default="setup")
    count_policy: Mapped[str] = mapped_column(String(20), default="approved")
    stratum_column: Mapped[str] = mapped_column(String(80), default="township")
    roster_columns: Mapped[list] = mapped_column(JSON, default=list)
    roster_file: Mapped[str] = mapped_column(String(200), default="")
    roster_sha256: Mapped[str] = mapped_column(String(64), default="")
    roster_encoding: Mapped[str] = mapped_column(String(20), default="")
    sampling_plan: Mapped[dict | None] = mapped_column(JSON, default=None)
    min_interview_minutes: Mapped[int] = mapped_column(Integer, default=10)
    aid_tolerance: Mapped[float] = mapped_column(Float, default=0.1)
    synthetic: Mapped[bool] = mapped_column(default=False)
    #: IANA time zone the evaluation's times are shown in (fieldwork happens in one place).
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    #: The lead's written reason for finishing although the finish checks found gaps.
    finish_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The programme (评估项目总体) the evaluation is a unit of, and the unit's region.
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True,
                                                     default=None)
    region: Mapped[str] = mapped_column(String(120), default="")
    #: Where the unit is, for the programme's map (from the units sheet); without it the map
    #: places the unit at the centre of its located household visits.
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    #: Last year's evaluation of the same unit, which this one looks back at (回头看).
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"), default=None)


class EvaluationSurvey(Base):
    """The survey version an evaluation uses for one evidence source."""

    __tablename__ = "evaluation_surveys"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "source"),
        CheckConstraint("source <> ''", name="source_present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))


class Membership(Base):
    """A user's role in one evaluation (the global role says what they may be given)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "user_id"),
        CheckConstraint(_in("role", MEMBER_ROLES), name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Household(Base):
    """One roster row (建档立卡台账): the sampling frame. ``data`` holds every roster column."""

    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "household_id"),
        CheckConstraint("household_id <> ''", name="id_present"),
        CheckConstraint("stratum <> ''", name="stratum_present"),
        # What the records list and the assign page join and search, without the roster rows.
        Index("ix_households_list", "evaluation_id", "household_id", "stratum", "head_name"),
        CheckConstraint("row_number >= 2", name="row_after_header"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    household_id: Mapped[str] = mapped_column(String(80))
    stratum: Mapped[str] = mapped_column(String(120))
    row_number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    #: The roster's head_name, as a column so the records list can search it (may be empty).
    head_name: Mapped[str] = mapped_column(String(120), default="")


class SampleDraw(Base):
    """A household drawn into the sample or onto the reserve list, in draw order.

    ``outcome`` is the non-response the team recorded (无应答登记: refused, or not reached);
    a reserve is ``released`` into the sample in list order when one is needed (manage/reserves.py),
    ``replaces_pk`` naming the household it replaces."""

    __tablename__ = "sample_draws"
    __table_args__ = (
        CheckConstraint(_in("role", DRAW_ROLES), name="role_known"),
        CheckConstraint("draw_order >= 1", name="order_positive"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', NONRESPONSE_OUTCOMES)}",
                        name="outcome_known"),
        CheckConstraint("role = 'reserve' OR (NOT released AND replaces_pk IS NULL)",
                        name="only_reserves_released"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"),
                                               index=True)
    household_pk: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"),
                                              unique=True)
    role: Mapped[str] = mapped_column(String(10))
    draw_order: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    released: Mapped[bool] = mapped_column(default=False, server_default=false())
    replaces_pk: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None)


class Assignment(Base):
    """Who collects which source for which drawn household."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("household_pk", "source"),
        CheckConstraint(_in("source", ASSIGNED_SOURCES), name="source_known"),
        CheckConstraint(_in("status", ASSIGNMENT_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_pk: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"),
                                               index=True)
    source: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class SystemRecord(Base):
    """One row of the aid management system export (帮扶工作管理系统), one per household."""

    __tablename__ = "system_records"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "household_id"),
        CheckConstraint("household_id <> ''", name="id_present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    household_id: Mapped[str] = mapped_column(String(80))
    row_number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)


class Submission(Base):
    """One record from the field, identified by the instance id the tablet made (UUID).

    An edit is a new row naming the one it replaces in ``deprecated_id`` (as ODK does); the
    replaced row stays, with ``current`` false, so nothing acknowledged is ever lost.
    ``body_hash`` is the sha256 of the canonical request body, for idempotent replays.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        # The records list reads only these columns until it has its page: with all of them in
        # the index, counting, filtering and sorting never touch the rows (and their answers).
        Index("ix_submissions_list", "evaluation_id", "current", "received_at", "review_state",
              "source", "submitter_id", "household_id", "flags", "deprecated_id", "instance_id"),
        CheckConstraint(_in("review_state", REVIEW_STATES), name="review_state_known"),
        CheckConstraint("length(instance_id) = 36", name="instance_id_uuid"),
        CheckConstraint("deprecated_id IS NULL OR deprecated_id <> instance_id",
                        name="not_replacing_itself"),
        CheckConstraint("started_at IS NULL OR ended_at IS NULL OR ended_at >= started_at",
                        name="ended_after_start"),
        CheckConstraint("gps_lat IS NULL OR (gps_lat >= -90 AND gps_lat <= 90)",
                        name="gps_lat_range"),
        CheckConstraint("gps_lon IS NULL OR (gps_lon >= -180 AND gps_lon <= 180)",
                        name="gps_lon_range"),
        CheckConstraint("household_id IS NOT NULL OR source = 'forum'", name="household_named"),
        # One current record per household and source: a second one must be an edit of the
        # first. The index also finds a household's current record without scanning the
        # evaluation's (forum records have no household: NULLs never collide).
        Index("ix_submissions_current_record", "evaluation_id", "source", "household_id",
              unique=True, postgresql_where=text("current"), sqlite_where=text("current")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36), unique=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"),
                                               index=True)
    source: Mapped[str] = mapped_column(String(40))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    household_id: Mapped[str | None] = mapped_column(String(80), default=None)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    body_hash: Mapped[str] = mapped_column(String(64))
    deprecated_id: Mapped[str | None] = mapped_column(String(36), unique=True, default=None)
    current: Mapped[bool] = mapped_column(default=True)
    review_state: Mapped[str] = mapped_column(String(20), default="received")
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    device_id: Mapped[str] = mapped_column(String(120), default="")
    gps_lat: Mapped[float | None] = mapped_column(Float, default=None)
    gps_lon: Mapped[float | None] = mapped_column(Float, default=None)
    gps_accuracy: Mapped[float | None] = mapped_column(Float, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The quality flags (review/quality.py) as " code code " for filtering; NULL when they
    #: must be computed again (a new record of the household, changed settings or system data).
    flags: Mapped[str | None] = mapped_column(String(200), default=None)


class ReviewEvent(Base):
    """A review decision with its comment (审核记录)."""

    __tablename__ = "review_events"
    __table_args__ = (
        CheckConstraint(_in("to_state", REVIEW_STATES), name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"),
                                               index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who created, changed or reviewed what, when, with the old and the new value (审计记录)."""

    __tablename__ = "audit_entries"
    __table_args__ = (CheckConstraint("action <> ''", name="action_present"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True, default=None)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80), default="")
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Finding(Base):
    """A problem found, for the rectification list (整改清单)."""

    __tablename__ = "findings"
    __table_args__ = (
        CheckConstraint(_in("severity", SEVERITIES), name="severity_known"),
        CheckConstraint(_in("status", FINDING_STATUSES), name="status_known"),
        CheckConstraint(_in("rectification", RECTIFICATION_STATES), name="rectification_known"),
        CheckConstraint("description <> ''", name="description_present"),
        CheckConstraint("indicator <> ''", name="indicator_present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"),
                                               index=True)
    indicator: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    household_id: Mapped[str] = mapped_column(String(80), default="")
    responsible_unit: Mapped[str] = mapped_column(String(200))
    responsible_person: Mapped[str] = mapped_column(String(120))
    deadline: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    #: Where the rectification of this finding stands (evaluator.feedback); overdue is derived.
    rectification: Mapped[str] = mapped_column(String(20), default="open", server_default="open")


class Judgement(Base):
    """One evaluator's score for a judgement indicator, with the written reason (座谈会评议)."""

    __tablename__ = "judgements"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "indicator", "user_id"),
        CheckConstraint("score >= 0", name="score_positive"),
        CheckConstraint("reason <> ''", name="reason_present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A photo kept outside the static files, served only through a permission-checked view.

    ``token`` is random (not a sequence number) so even the view's URL cannot be guessed.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_in("content_type", ATTACHMENT_TYPES), name="type_allowed"),
        CheckConstraint(f"size_bytes > 0 AND size_bytes <= {MAX_ATTACHMENT_BYTES}",
                        name="size_allowed"),
        CheckConstraint("submission_id IS NOT NULL OR finding_id IS NOT NULL "
                        "OR response_id IS NOT NULL OR update_id IS NOT NULL", name="owned"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"),
                                               index=True)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True, default=None)
    finding_id: Mapped[int | None] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), default=None)
    #: Evidence of the evaluated unit: for a contested finding, or a rectification step.
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("finding_responses.id", ondelete="CASCADE"), default=None)
    update_id: Mapped[int | None] = mapped_column(
        ForeignKey("rectification_updates.id", ondelete="CASCADE"), default=None)
    field: Mapped[str] = mapped_column(String(80), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Recheck(Base):
    """A submitted household record drawn for a call-back check (回访复核), and its outcome."""

    __tablename__ = "rechecks"
    __table_args__ = (
        CheckConstraint(_in("outcome", RECHECK_OUTCOMES), name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"),
                                               index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"),
                                               unique=True)
    seed: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    note: Mapped[str] = mapped_column(Text, default="")
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
