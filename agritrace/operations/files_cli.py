"""`flask files import`: the photos still on an app server's disk, from before uploads
moved into the database, loaded into it so that every app server can serve them."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..services import stored_files

files_cli = AppGroup("files", help="Uploaded files, kept in the database.")


@files_cli.command("import")
@click.option("--from", "folder", type=click.Path(file_okay=False),
              help="The folder to load (default: UPLOAD_DIR).")
@click.option("--remove", is_flag=True, help="Delete each file from the disk once stored.")
def import_command(folder, remove):
    """Store the product and field photos found under UPLOAD_DIR; files already stored
    are skipped, so it may run again."""
    folder = Path(folder or current_app.config["UPLOAD_DIR"])
    stored, skipped = stored_files.import_folder(folder, remove=remove)
    click.echo(f"{stored} files from {folder} stored in the database, {skipped} were "
               f"already there{'; removed from the disk' if remove else ''}.")
