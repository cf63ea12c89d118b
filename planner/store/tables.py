"""Every table of the planner's database, as SQLAlchemy ORM rows on one declarative ``Base``.

Projects and assessments (revisions 0001, 0002 and 0008), saved price lists (0003, 0005, 0006, 0007), workshops
(0004), acknowledgements of fired revisit triggers (0008), saved API price lists (0009) and improvement items
with their status changes (0010); who created assessments, lists and workshops (0011; project members and the
audit log are in ``planner.store.access_tables``).
The Alembic migrations create these tables; ``tests/test_store.py`` checks that the two agree. The
rows are for the repository modules of this package only: they return pydantic records, never rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from planner.decide.consensus import CODE_CHARS
from planner.inputs.limits import NAME_MAX_CHARS, PARTICIPANT_NAME_MAX_CHARS, SHORT_TEXT_MAX_CHARS
from planner.store.item_sync import ITEM_KEY_MAX_CHARS, ItemStatus

HASH_CHARS = 64  # SHA-256 hex digest
STATUS_CHARS = 12  # ItemStatus values
API_ID_MAX_CHARS = 60  # planner.inputs.api_catalog.ApiPrice.id and model_id
API_MODEL_MAX_CHARS = 100  # ApiPrice.model

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps the UTC wall-clock time)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; constraint names follow one convention so batch migrations can find them."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Row(Base):
    """A table of the planner: every one has an integer primary key ``id``."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)


# Column types shared by the tables below.
Moment = Annotated[datetime, mapped_column(UtcDateTime())]
LaterMoment = Annotated[datetime | None, mapped_column(UtcDateTime(), nullable=True)]
Figure = Annotated[float, mapped_column(Float)]
OptionalFigure = Annotated[float | None, mapped_column(Float)]
Count = Annotated[int, mapped_column(Integer)]
FreeText = Annotated[str, mapped_column(Text)]
AsOf = Annotated[str, mapped_column(String(10))]
Label = Annotated[str, mapped_column(String(40))]  # providers, regions, GPU types, question keys


def parent(table: str, *, ondelete: str = "CASCADE") -> Mapped[int]:
    """A foreign key to ``table``'s id; by default its rows go with the parent row."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete=ondelete))


# Projects and assessments ---------------------------------------------------------------------------


class ProjectRow(Row):
    """A named group of assessments (one product or initiative)."""

    __tablename__ = "projects"
    __table_args__ = (CheckConstraint(f"length(name) BETWEEN 1 AND {NAME_MAX_CHARS}", name="name_length"),)

    name: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), unique=True)
    created_at: Mapped[Moment]
    archived: Mapped[bool] = mapped_column(default=False, server_default=false())


class AssessmentRow(Row):
    """One saved assessment: inputs, results and the version of the app that computed them."""

    __tablename__ = "assessments"
    __table_args__ = (
        Index("ix_assessments_created_at", "created_at"),
        Index("ix_assessments_project_id_created_at", "project_id", "created_at"),
        Index("ix_assessments_project_id_content_hash", "project_id", "content_hash"),
    )

    project_id: Mapped[int] = parent("projects", ondelete="RESTRICT")
    label: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), default="")
    inputs_json: Mapped[FreeText]
    results_json: Mapped[FreeText]
    recommended: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_CHARS))
    app_version: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_CHARS))
    created_at: Mapped[Moment]
    # Revision 0002_history; NULL on rows saved before it.
    price_snapshot_json: Mapped[str | None] = mapped_column(Text, default=None)
    revisit_by: Mapped[date | None] = mapped_column(Date, default=None)
    triggers_json: Mapped[str | None] = mapped_column(Text, default=None)
    # Revision 0008_archive_and_acknowledgements: SHA-256 of what makes two saves the same assessment
    # (``assessments.content_hash``), and when it was archived (hidden from lists, history and comparisons).
    content_hash: Mapped[str | None] = mapped_column(String(HASH_CHARS), default=None)
    archived_at: Mapped[LaterMoment] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), default="", server_default="")  # 0011


class TriggerAcknowledgementRow(Row):
    """A person's note that a fired revisit trigger was seen, for the value it had then (0008)."""

    __tablename__ = "trigger_acknowledgements"
    __table_args__ = (Index("ix_trigger_acknowledgements_assessment_id", "assessment_id"),)

    assessment_id: Mapped[int] = parent("assessments")  # the assessment whose roadmap set the trigger
    trigger_key: Mapped[str] = mapped_column(String(NAME_MAX_CHARS))
    op: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[Figure]
    value: Mapped[Figure]  # the input's value acknowledged; a different value fires the trigger again
    note: Mapped[FreeText]
    acknowledged_by: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), default="")
    acknowledged_at: Mapped[Moment]


class ImprovementItemRow(Row):
    """A readiness gap or roadmap step of a project's assessments, kept across re-assessments (0010).

    ``item_key`` is ``gap:<architecture>:<readiness key>`` or ``step:<architecture>:<n>``
    (``planner.store.item_sync``); ``named`` whether the project's latest synced assessment names it. The items go
    with their project.
    """

    __tablename__ = "improvement_items"
    __table_args__ = (
        UniqueConstraint("project_id", "item_key"),
        CheckConstraint(f"status IN ({', '.join(repr(s.value) for s in ItemStatus)})", name="status"),
        CheckConstraint("kind IN ('gap', 'step')", name="kind"),
    )

    project_id: Mapped[int] = parent("projects")
    item_key: Mapped[str] = mapped_column(String(ITEM_KEY_MAX_CHARS))
    kind: Mapped[str] = mapped_column(String(4))
    architecture: Mapped[Label]
    title: Mapped[FreeText]
    detail: Mapped[FreeText]
    size: Mapped[Count]  # a gap: readiness levels missing; a step: its number in the roadmap
    status: Mapped[str] = mapped_column(String(STATUS_CHARS))
    owner: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), default="")
    due: Mapped[date | None] = mapped_column(Date, default=None)
    named: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[Moment]
    updated_at: Mapped[Moment]


class ItemEventRow(Row):
    """A change of an item's status: to what, from what, by whom (a person, or the assessment that changed it), when."""

    __tablename__ = "improvement_item_events"
    __table_args__ = (Index("ix_improvement_item_events_item_id", "item_id"),)

    item_id: Mapped[int] = parent("improvement_items")
    status: Mapped[str] = mapped_column(String(STATUS_CHARS))
    previous_status: Mapped[str | None] = mapped_column(String(STATUS_CHARS), default=None)  # None: opened
    changed_by: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[Moment]
    # The assessment that changed it (None: a person did); an assessment deleted for good leaves its events.
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", ondelete="SET NULL"), default=None)


# Price lists ----------------------------------------------------------------------------------------


class NamedList(Row):
    """A list saved under a unique name (a price list, an API price list), with its rows in child tables."""

    __abstract__ = True

    name: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), unique=True)
    created_at: Mapped[Moment]
    updated_at: Mapped[Moment]
    created_by: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), default="", server_default="")  # 0011


class PriceListRow(NamedList):
    """A named, saved price list."""

    __tablename__ = "price_lists"

    # Revision 0006_price_list_mode: "add" (overlay the built-in catalog) or "replace"; lists saved before: "add".
    catalog_mode: Mapped[str] = mapped_column(String(10), default="add", server_default="add")


class PriceListInstanceRow(Row):
    """One instance type's prices in a saved list (the columns of data/instances.csv)."""

    __tablename__ = "price_list_instances"
    __table_args__ = (UniqueConstraint("price_list_id", "provider", "instance", "region"),)

    price_list_id: Mapped[int] = parent("price_lists")
    position: Mapped[Count]
    provider: Mapped[Label]
    instance: Mapped[str] = mapped_column(String(60))
    region: Mapped[Label]
    gpu: Mapped[Label]
    gpu_count: Mapped[Count]
    vcpus: Mapped[Count]
    on_demand_usd_h: Mapped[Figure]
    spot_usd_h: Mapped[OptionalFigure]
    committed_usd_h: Mapped[OptionalFigure]
    # Revision 0006_price_list_mode: "production" or "community"; rows saved before: "production".
    tier: Mapped[str] = mapped_column(String(10), default="production", server_default="production")
    source: Mapped[FreeText]
    as_of: Mapped[AsOf]


class PriceListGpuRow(Row):
    """GPU specs a saved list adds to the catalog (the columns of data/gpus.csv)."""

    __tablename__ = "price_list_gpus"
    __table_args__ = (UniqueConstraint("price_list_id", "gpu"),)

    price_list_id: Mapped[int] = parent("price_lists")
    gpu: Mapped[Label]
    memory_gb: Mapped[Figure]
    bandwidth_tb_s: Mapped[Figure]
    bf16_tflops: Mapped[Figure]
    fp8_tflops: Mapped[OptionalFigure]
    fp4_tflops: Mapped[OptionalFigure]  # 0005
    int8_tops: Mapped[OptionalFigure]  # 0005
    vendor: Mapped[str | None] = mapped_column(String(10))  # 0005
    link_gb_s: Mapped[OptionalFigure]  # 0007
    source: Mapped[FreeText]
    as_of: Mapped[AsOf]


class ApiPriceListRow(NamedList):
    """A named, saved API price list (revision 0009_api_price_lists)."""

    __tablename__ = "api_price_lists"


class ApiPriceListApiRow(Row):
    """One managed API's prices, limits, latency and SLA in a saved API list (the columns of data/api_prices.csv;
    the row's ``id`` there is ``api_id`` here)."""

    __tablename__ = "api_price_list_rows"
    __table_args__ = (UniqueConstraint("api_price_list_id", "api_id"),)

    api_price_list_id: Mapped[int] = parent("api_price_lists")
    position: Mapped[Count]
    api_id: Mapped[str] = mapped_column(String(API_ID_MAX_CHARS))
    provider: Mapped[Label]
    model: Mapped[str] = mapped_column(String(API_MODEL_MAX_CHARS))
    model_id: Mapped[str | None] = mapped_column(String(API_ID_MAX_CHARS))
    input_usd_per_m: Mapped[Figure]
    cached_input_usd_per_m: Mapped[OptionalFigure]
    output_usd_per_m: Mapped[Figure]
    batch_discount: Mapped[OptionalFigure]
    rate_limit_tier: Mapped[str | None] = mapped_column(String(40))
    requests_per_min: Mapped[OptionalFigure]
    tokens_per_min: Mapped[OptionalFigure]
    ttft_ms: Mapped[OptionalFigure]
    output_tokens_per_s: Mapped[OptionalFigure]
    latency_source: Mapped[str | None] = mapped_column(Text)
    sla_pct: Mapped[OptionalFigure]
    sla_source: Mapped[str | None] = mapped_column(Text)
    source: Mapped[FreeText]
    as_of: Mapped[AsOf]


# Workshops ------------------------------------------------------------------------------------------


class WorkshopRow(Row):
    """One workshop of one project."""

    __tablename__ = "workshops"

    join_code: Mapped[str] = mapped_column(String(CODE_CHARS), unique=True)
    facilitator_token_hash: Mapped[str] = mapped_column(String(HASH_CHARS), unique=True)
    project: Mapped[str] = mapped_column(String(NAME_MAX_CHARS))
    created_at: Mapped[Moment]
    closed_at: Mapped[LaterMoment]
    reveal: Mapped[bool] = mapped_column(default=False, server_default=false())
    workload_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), nullable=True
    )
    created_by: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), default="", server_default="")  # 0011


class ParticipantRow(Row):
    """Someone who joined a workshop under a display name."""

    __tablename__ = "workshop_participants"
    __table_args__ = (UniqueConstraint("workshop_id", "display_name", name="uq_workshop_participants_name"),)

    workshop_id: Mapped[int] = parent("workshops")
    display_name: Mapped[str] = mapped_column(String(PARTICIPANT_NAME_MAX_CHARS))
    secret_hash: Mapped[str] = mapped_column(String(HASH_CHARS), unique=True)
    joined_at: Mapped[Moment]
    answered_at: Mapped[LaterMoment]


class QuestionValue:
    """The columns of an answer to one workshop question: its key, the value and when it was set."""

    question_key: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_CHARS))
    value: Mapped[Figure]
    updated_at: Mapped[Moment]


class AnswerRow(QuestionValue, Row):
    """One participant's current answer to one question."""

    __tablename__ = "workshop_answers"
    __table_args__ = (UniqueConstraint("participant_id", "question_key", name="uq_workshop_answers_question"),)

    participant_id: Mapped[int] = parent("workshop_participants")


class OverrideRow(QuestionValue, Row):
    """The facilitator's consensus answer to one question, in place of the median, with a note."""

    __tablename__ = "workshop_overrides"
    __table_args__ = (
        UniqueConstraint("workshop_id", "question_key", name="uq_workshop_overrides_question"),
        Index("ix_workshop_overrides_workshop_id", "workshop_id"),
    )

    workshop_id: Mapped[int] = parent("workshops")
    note: Mapped[FreeText]
