"""Running the platform rather than serving it: the project-local PostGIS cluster,
backups and restores. Kept light: `python -m agritrace.operations.localdb` runs
before the virtualenv has Flask."""
