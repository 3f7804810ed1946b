"""stamps' run checked once per statement, not per row

A foreign key checks each of a run's million stamps on its own (an index probe and a
lock on the same run row, a million times), which halved the speed of minting. The
same rule is kept by triggers that look at all the rows of a statement at once: a
stamp must belong to an existing run, and a run with stamps cannot be deleted (runs
are voided, never deleted).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 20:10:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint('fk_stamps_run_id_stamp_runs', 'stamps', type_='foreignkey')
    op.execute("""
        CREATE FUNCTION stamps_have_runs() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE missing bigint;
        BEGIN
            -- A statement's stamps share one run or a few: look each up once.
            SELECT d.run_id INTO missing FROM (SELECT DISTINCT run_id FROM new_stamps) d
            WHERE NOT EXISTS (SELECT 1 FROM stamp_runs r WHERE r.id = d.run_id) LIMIT 1;
            IF FOUND THEN
                RAISE foreign_key_violation USING
                    MESSAGE = format('stamp run %s does not exist', missing),
                    CONSTRAINT = 'stamps_have_runs', TABLE = 'stamps';
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER stamps_have_runs_insert AFTER INSERT ON stamps
        REFERENCING NEW TABLE AS new_stamps
        FOR EACH STATEMENT EXECUTE FUNCTION stamps_have_runs()
    """)
    # Moving a stamp to another run never happens; should it, one row at a time is
    # cheap enough. (A statement trigger would run on every scan's counter update.)
    op.execute("""
        CREATE FUNCTION stamp_has_run() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM stamp_runs WHERE id = NEW.run_id) THEN
                RAISE foreign_key_violation USING
                    MESSAGE = format('stamp run %s does not exist', NEW.run_id),
                    CONSTRAINT = 'stamps_have_runs', TABLE = 'stamps';
            END IF;
            RETURN NEW;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER stamps_have_runs_update BEFORE UPDATE OF run_id ON stamps
        FOR EACH ROW WHEN (OLD.run_id IS DISTINCT FROM NEW.run_id)
        EXECUTE FUNCTION stamp_has_run()
    """)
    # Runs are never deleted; a run's row also keeps its stamps' run_id meaningful.
    op.execute("""
        CREATE FUNCTION stamp_runs_keep_stamps() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM stamps WHERE run_id = OLD.id) THEN
                RAISE foreign_key_violation USING
                    MESSAGE = format('stamp run %s still has stamps', OLD.id),
                    CONSTRAINT = 'stamps_have_runs', TABLE = 'stamp_runs';
            END IF;
            RETURN OLD;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER stamp_runs_keep_stamps BEFORE DELETE OR UPDATE OF id ON stamp_runs
        FOR EACH ROW EXECUTE FUNCTION stamp_runs_keep_stamps()
    """)


def downgrade():
    op.execute("DROP TRIGGER stamp_runs_keep_stamps ON stamp_runs")
    op.execute("DROP FUNCTION stamp_runs_keep_stamps()")
    op.execute("DROP TRIGGER stamps_have_runs_update ON stamps")
    op.execute("DROP FUNCTION stamp_has_run()")
    op.execute("DROP TRIGGER stamps_have_runs_insert ON stamps")
    op.execute("DROP FUNCTION stamps_have_runs()")
    op.create_foreign_key('fk_stamps_run_id_stamp_runs', 'stamps', 'stamp_runs',
                          ['run_id'], ['id'], ondelete='CASCADE')
