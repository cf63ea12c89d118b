"""Saved assessments, projects, price lists and workshops, in SQLite or PostgreSQL (DESIGN.md section 6).

Pages take an Engine from ``get_engine()`` and call the repository functions. Each opens one short session and
returns small pydantic records; ORM rows never leave the package. The modules: ``database`` (engines,
migrations, the read and write helpers), ``tables`` (every ORM row), ``access`` (who acts and what their role
lets them do), ``members`` (project members), ``audit`` (the audit log), ``projects``, ``assessments`` (with
``columns``, their JSON columns), ``archive`` (archiving and restoring assessments), ``triggers`` (each
assessment's revisit triggers, acknowledgements of fired ones), ``items`` and ``item_sync`` (improvement items
kept across re-assessments), ``exchange`` (project export files), ``price_lists`` and ``api_price_lists``
(saved price lists of instances and of managed APIs, on the shared steps of ``named_lists``), ``workshops``
(workshop repository) and ``settings`` (DATABASE_URL). The names below are the package's public surface, so
``from planner import store; store.save_assessment(...)`` works.
"""

from planner.store.access import (
    ANONYMOUS,
    LOCAL,
    AccessDenied,
    Actor,
    Role,
    command_line,
    current_actor,
    set_actor_provider,
    signed_in,
)
from planner.store.archive import archive_assessment, restore_assessment
from planner.store.assessments import (
    MAX_LIST_LIMIT,
    AssessmentSummary,
    SavedId,
    StoredAssessment,
    content_hash,
    delete_assessment,
    latest_assessment,
    list_assessments,
    load_assessment,
    project_assessments,
    save_assessment,
)
from planner.store.audit import AuditEvent, price_list_log, project_log
from planner.store.columns import MAX_SNAPSHOT_ROWS
from planner.store.database import (
    MIGRATIONS_DIR,
    alembic_config,
    create_store_engine,
    dispose_engines,
    error_reason,
    get_engine,
    migrate,
    read_session,
    write_transaction,
)
from planner.store.exchange import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    MAX_EXPORT_ASSESSMENTS,
    MAX_EXPORT_BYTES,
    ExportedAssessment,
    ImportReport,
    ProjectExport,
    dump_project_export,
    export_project,
    import_project,
    parse_project_export,
)
from planner.store.members import Member, project_members, remove_member, role_in, set_member
from planner.store.projects import (
    ProjectSummary,
    create_project,
    list_projects,
    project_name,
    rename_project,
    set_project_archived,
)
from planner.store.tables import Base, UtcDateTime
from planner.store.triggers import TriggerAcknowledgement, acknowledge_trigger, acknowledgements, project_triggers

__all__ = [
    "ANONYMOUS",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "LOCAL",
    "MAX_EXPORT_ASSESSMENTS",
    "MAX_EXPORT_BYTES",
    "MAX_LIST_LIMIT",
    "MAX_SNAPSHOT_ROWS",
    "MIGRATIONS_DIR",
    "AccessDenied",
    "Actor",
    "AssessmentSummary",
    "AuditEvent",
    "Base",
    "ExportedAssessment",
    "ImportReport",
    "Member",
    "ProjectExport",
    "ProjectSummary",
    "Role",
    "SavedId",
    "StoredAssessment",
    "TriggerAcknowledgement",
    "UtcDateTime",
    "acknowledge_trigger",
    "acknowledgements",
    "alembic_config",
    "archive_assessment",
    "command_line",
    "content_hash",
    "create_project",
    "create_store_engine",
    "current_actor",
    "delete_assessment",
    "dispose_engines",
    "dump_project_export",
    "error_reason",
    "export_project",
    "get_engine",
    "import_project",
    "latest_assessment",
    "list_assessments",
    "list_projects",
    "load_assessment",
    "migrate",
    "parse_project_export",
    "price_list_log",
    "project_assessments",
    "project_log",
    "project_members",
    "project_name",
    "project_triggers",
    "read_session",
    "remove_member",
    "rename_project",
    "restore_assessment",
    "role_in",
    "save_assessment",
    "set_actor_provider",
    "set_member",
    "set_project_archived",
    "signed_in",
    "write_transaction",
]
