"""Operations commands: ``evaluator worker``, ``evaluator storage sweep``, ``evaluator backup``,
``evaluator restore`` (and ``serve --production`` in evaluator.app_commands)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="The worker's name in RQ (default: made up).")
def worker(burst: bool, name: str | None) -> None:
    """Run one queue worker (RQ) for report and batch jobs; start one per core.

    Needs EVALUATOR_QUEUE_URL (redis://...), the same database and file storage as the web
    processes. SIGTERM lets the running job finish; a killed worker's job is retried.
    """
    from evaluator.app import create_app
    from evaluator.jobs.rq_queue import run_worker

    app = create_app()
    url = app.config.get("QUEUE_URL")
    if not url:
        click.echo("error: EVALUATOR_QUEUE_URL is not set (redis://HOST:6379/0); without it "
                   "jobs run in the web process's own threads and need no worker", err=True)
        sys.exit(1)
    run_worker(app, url, burst=burst, name=name)


@click.group()
def storage() -> None:
    """The file storage (photos, report PDFs)."""


@storage.command("sweep")
@click.option("--older-than", "minutes", type=click.IntRange(min=0), default=60,
              show_default=True, help="Leave files younger than this many minutes alone.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def storage_sweep(minutes: int, dry_run: bool) -> None:
    """Remove photo files no record or finding names (left by a process killed between
    writing the file and committing its record)."""
    from evaluator.app import create_app
    from evaluator.storage.sweep import sweep_orphans

    app = create_app()
    with app.extensions["evaluator.sessionmaker"]() as db:
        swept = sweep_orphans(db, app.extensions["evaluator.storage"],
                              grace=timedelta(minutes=minutes), dry_run=dry_run)
    for key in swept:
        click.echo(key)
    click.echo(f"{len(swept)} orphan file(s) {'found' if dry_run else 'removed'}", err=True)


@click.command("backup")
@click.argument("out", type=click.Path(path_type=Path))
def backup(out: Path) -> None:
    """Write the database and the stored files to OUT (a .tar archive), while the app runs."""
    from evaluator.app import create_app
    from evaluator.ops.backup import BackupError, write_backup

    app = create_app()
    try:
        summary = write_backup(app, out)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(summary)


@click.command("restore")
@click.argument("archive", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already has data.")
def restore(archive: Path, force: bool) -> None:
    """Restore a backup made by `evaluator backup` into this instance's (empty) database and
    file storage."""
    from evaluator.app import create_app
    from evaluator.ops.backup import BackupError, read_backup

    app = create_app()
    try:
        summary = read_backup(app, archive, force=force)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(summary)


@click.command("stack")
@click.option("--workers", type=click.IntRange(min=1), default=4, show_default=True,
              help="gunicorn worker processes.")
@click.option("--queue-workers", type=click.IntRange(min=0), default=2, show_default=True)
@click.option("--s3/--no-s3", default=True, show_default=True,
              help="Files in a local S3-compatible server (moto), or in the instance folder.")
def stack(workers: int, queue_workers: int, s3: bool) -> None:
    """A throwaway local production stack on loopback (PostgreSQL, Redis, S3, gunicorn, queue
    workers) for trying the deployment; everything is removed when it stops (Ctrl-C)."""
    from evaluator.ops.stack import StackError, serve_stack

    try:
        serve_stack(workers, queue_workers, s3)
    except StackError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
