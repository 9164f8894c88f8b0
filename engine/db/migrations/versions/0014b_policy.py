"""policy, routines and knowledge: documents with versions, read-acknowledgements,
reviews, training records

Revision ID: 0014b
Revises: 0013e
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014b"
down_revision: str | None = "0013e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    ref = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint([col], [target], name=f"fk_{table}_{col}_{ref}")


def upgrade() -> None:
    op.create_table(
        "policy_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_role", sa.String(length=32), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("policy_document", "created_by", "person.id"),
        _fk("policy_document", "unit_id", "org_unit.id"),
        sa.PrimaryKeyConstraint("id", name="pk_policy_document"),
        sa.UniqueConstraint("code", name="uq_policy_document_code"),
    )
    with op.batch_alter_table("policy_document", schema=None) as batch_op:
        batch_op.create_index("ix_policy_document_unit", ["unit_id"], unique=False)
    op.create_table(
        "policy_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("policy_version", "created_by", "person.id"),
        _fk("policy_version", "document_id", "policy_document.id"),
        sa.PrimaryKeyConstraint("id", name="pk_policy_version"),
        sa.UniqueConstraint("document_id", "number", name="uq_policy_version_document_id_number"),
    )
    op.create_table(
        "policy_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=False),
        _fk("policy_ack", "person_id", "person.id"),
        _fk("policy_ack", "version_id", "policy_version.id"),
        sa.PrimaryKeyConstraint("id", name="pk_policy_ack"),
        sa.UniqueConstraint("version_id", "person_id", name="uq_policy_ack_version_id_person_id"),
    )
    with op.batch_alter_table("policy_ack", schema=None) as batch_op:
        batch_op.create_index("ix_policy_ack_person", ["person_id"], unique=False)
    op.create_table(
        "policy_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("next_review", sa.Date(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        _fk("policy_review", "document_id", "policy_document.id"),
        _fk("policy_review", "reviewed_by", "person.id"),
        _fk("policy_review", "task_id", "task.id"),
        _fk("policy_review", "version_id", "policy_version.id"),
        sa.PrimaryKeyConstraint("id", name="pk_policy_review"),
    )
    with op.batch_alter_table("policy_review", schema=None) as batch_op:
        batch_op.create_index("ix_policy_review_document", ["document_id"], unique=False)
    op.create_table(
        "training_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("course_key", sa.String(length=32), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("training_record", "created_by", "person.id"),
        _fk("training_record", "person_id", "person.id"),
        _fk("training_record", "unit_id", "org_unit.id"),
        sa.PrimaryKeyConstraint("id", name="pk_training_record"),
    )
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.create_index("ix_training_record_person", ["person_id"], unique=False)
        batch_op.create_index("ix_training_record_unit", ["unit_id"], unique=False)


def downgrade() -> None:
    for name in ("training_record", "policy_review", "policy_ack", "policy_version"):
        op.drop_table(name)
    op.drop_table("policy_document")
