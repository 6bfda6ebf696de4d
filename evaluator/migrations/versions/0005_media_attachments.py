"""media attachments: audio, video and file questions keep their recordings and documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 11:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PHOTOS = "'image/jpeg', 'image/png', 'image/webp'"
MEDIA = ("'audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/wav', 'audio/webm', 'audio/amr', "
         "'audio/3gpp', 'video/mp4', 'video/webm', 'video/3gpp', 'video/quicktime', "
         "'application/pdf'")


def _constraints(types: str, size: int) -> None:
    with op.batch_alter_table('attachments', recreate='always') as batch:
        batch.drop_constraint(op.f('ck_attachments_type_allowed'), type_='check')
        batch.drop_constraint(op.f('ck_attachments_size_allowed'), type_='check')
        batch.create_check_constraint(op.f('ck_attachments_type_allowed'),
                                      sa.text(f"content_type IN ({types})"))
        batch.create_check_constraint(op.f('ck_attachments_size_allowed'),
                                      sa.text(f"size_bytes > 0 AND size_bytes <= {size}"))


def upgrade() -> None:
    _constraints(f"{PHOTOS}, {MEDIA}", 16 * 1024 * 1024)


def downgrade() -> None:
    _constraints(PHOTOS, 8 * 1024 * 1024)
