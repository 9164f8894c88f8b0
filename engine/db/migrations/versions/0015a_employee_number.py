"""a person's employee number (matched at OIDC sign-in where the setting says so); the
allocator's decision task of a returned task

Revision ID: 0015a
Revises: 0014h
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015a"
down_revision: str | None = "0015p"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("person", sa.Column("employee_number", sa.String(length=64), nullable=True))
    op.create_index("ux_person_employee_number", "person", ["employee_number"], unique=True)
    with op.batch_alter_table("allocation_return") as batch:
        batch.add_column(sa.Column("decision_cycle_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_allocation_return_decision_cycle_id_cycle", "cycle", ["decision_cycle_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("allocation_return") as batch:
        batch.drop_constraint("fk_allocation_return_decision_cycle_id_cycle", type_="foreignkey")
        batch.drop_column("decision_cycle_id")
    op.drop_index("ux_person_employee_number", table_name="person")
    # not a batch: SQLite (3.35+) drops the column in place, where rebuilding ``person``
    # would be refused by the foreign keys that point at it
    op.drop_column("person", "employee_number")
