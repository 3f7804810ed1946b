"""Flask CLI: `flask users create`, `flask seed demo`, `flask boundaries load`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .errors import DomainError
from .models import Role

users_cli = AppGroup("users", help="Accounts.")
seed_cli = AppGroup("seed", help="Demo data.")
boundaries_cli = AppGroup("boundaries", help="Province boundaries for the area checks.")
stamps_cli = AppGroup("stamps", help="QR stamps (tem): minting runs, the minting worker.")
mail_cli = AppGroup("mail", help="E-mail: the outbox.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--organization-id", type=int)
@click.option("--province-code", type=int)
@click.password_option()
def create_user(email, full_name, role, organization_id, province_code, password):
    """Create an account (the first admin, typically)."""
    from .services import accounts
    try:
        user = accounts.create_user(None, email=email, password=password, full_name=full_name,
                                    role=Role(role), organization_id=organization_id,
                                    province_code=province_code, system=True)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@seed_cli.command("demo")
def seed_demo():
    """Load the demo data (idempotent: a second run changes nothing). It is not loaded
    in production nor into a database that has accounts of its own."""
    from .seed import demo
    refused = demo.refusal()
    if refused:
        click.echo(f"Demo data not loaded: {refused}")
        return
    created = demo.load()
    click.echo("Demo data loaded." if created else "Demo data already present.")


@seed_cli.command("banner")
@click.option("--url", default="http://127.0.0.1:5000")
def banner(url):
    """Print where the app is served and the demo logins."""
    from .seed import demo
    click.echo(f"\nAgriTrace is starting on {url}\n"
               f"  home        {url}/\n  login       {url}/login\n"
               f"  health      {url}/healthz\n  API         {url}/api/v1/openapi.json\n"
               f"  open data   {url}/ogc\n")
    if demo.present():
        click.echo(f"Demo logins (password {demo.PASSWORD}):")
        for email, role in demo.LOGINS:
            click.echo(f"  {role:<9} {email}")
        click.echo("")


@boundaries_cli.command("load")
@click.argument("province_code", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", help="The file's coordinate system when it does not say, e.g. EPSG:3405.")
def load_boundary(province_code, path, crs):
    """Load a province's boundary from a polygon file (GeoJSON, Shapefile zip, …)."""
    from pathlib import Path

    from .services import boundaries
    try:
        km2 = boundaries.load_boundary(province_code, Path(path).read_bytes(), Path(path).name,
                                       crs=crs)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"Boundary of province {province_code} loaded: {km2:,.0f} km².")


@stamps_cli.command("mint")
@click.argument("batch_id", type=int)
@click.argument("quantity", type=int)
@click.option("--pin", is_flag=True, help="Give every stamp a scratch-off PIN.")
def mint_stamps(batch_id, quantity, pin):
    """Mint QUANTITY stamps for batch BATCH_ID here and now, showing progress."""
    from .services import stamp_worker, stamps
    try:
        order = stamps.order_stamps(None, batch_id, quantity, pin=pin, defer=True, system=True)
        claimed = stamp_worker.claim_order(order.id)
        with click.progressbar(length=quantity, label=f"Batch {batch_id}",
                               show_pos=True) as bar:
            done = [0]

            def advance(minted: int) -> None:
                bar.update(minted - done[0])
                done[0] = minted
            order = stamp_worker.run_order(claimed, progress=advance)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    if order.status.value != "done":
        raise click.ClickException(order.error or order.status.value)
    click.echo(f"Run {order.run_id}: {quantity:,} stamps minted for batch {batch_id}; "
               "download the print files and activate the run once printed.")


@stamps_cli.command("worker")
@click.option("--once", is_flag=True, help="Stop when no order is waiting.")
def stamps_worker(once):
    """Mint the orders too large for a web request, until stopped."""
    import logging

    from .services import stamp_worker
    logging.basicConfig(level=logging.INFO, format="%(asctime)s stamps worker: %(message)s")
    # Stopped mid-run (Ctrl-C, SIGTERM), the minting transaction is rolled back and the
    # order is taken up again by the next worker: no handler is needed to stay whole.
    click.echo(f"Stamp worker {stamp_worker.worker_name()} waiting for orders.")
    try:
        stamp_worker.work(once=once)
    except KeyboardInterrupt:
        pass


@mail_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many messages.")
def send_mail(limit):
    """Send the e-mail that is due now (the stamp worker does this between orders)."""
    from .services import mailer
    sent = mailer.send_due(limit=limit)
    click.echo(f"{sent} e-mail message(s) sent.")


def init_app(app: Flask) -> None:
    from .operations.backup_cli import backup_cli
    app.cli.add_command(backup_cli)
    from .operations.files_cli import files_cli
    app.cli.add_command(files_cli)
    app.cli.add_command(stamps_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(boundaries_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
