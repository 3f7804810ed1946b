from sqlalchemy import func, select, text

from agritrace.models import (AreaStatus, Batch, ExternalParty, Facility, FacilityKind,
                              GrowingArea, OrgKind, Organization, Product, TraceEvent, User)
from agritrace.seed import demo
from agritrace.services import stock
from agritrace.units import ward_province


def test_demo_data_is_realistic_valid_and_idempotent(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "loaded" in result.output

    coops = db.scalars(select(Organization).where(Organization.kind == OrgKind.COOPERATIVE)).all()
    assert len(coops) >= 3
    assert all(o.province_code == demo.TAY_NINH and ward_province(o.ward_code) == 80
               for o in coops)
    crops = set(db.scalars(select(GrowingArea.crop)))
    assert {"dragon fruit", "seedless lime", "rice"} <= crops
    # The diary and the chain are in the EPCIS repository, as the query interface and a
    # stamp's gs1:epcis link read them: every diary entry once.
    from agritrace.models import EpcisEvent, TraceEvent
    assert db.scalar(select(func.count()).select_from(EpcisEvent)) >= \
        db.scalar(select(func.count()).select_from(TraceEvent)) > 0

    areas = db.scalars(select(GrowingArea)).all()
    assert len(areas) >= 20
    assert all(a.status == AreaStatus.ISSUED and a.code.startswith("VN-TNOR-") for a in areas)
    # Valid, inside the former Long An area, and no two overlapping (checked by PostGIS).
    assert db.scalar(select(func.bool_and(func.ST_IsValid(GrowingArea.geom)))) is True
    bbox = db.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                           "(SELECT ST_Extent(geom) e FROM growing_areas) s")).one()
    assert 105.8 < bbox[0] and bbox[2] < 106.8 and 10.3 < bbox[1] and bbox[3] < 11.0
    overlaps = db.scalar(text("SELECT count(*) FROM growing_areas a JOIN growing_areas b "
                              "ON a.id < b.id AND ST_Intersects(a.geom, b.geom)"))
    assert overlaps == 0
    # Areas are geodesic, and stored figures match PostGIS's own geodesic measure.
    deviation = db.scalar(text("SELECT max(abs(area_ha - ST_Area(geom::geography) / 10000) "
                               "/ area_ha) FROM growing_areas"))
    assert deviation < 0.001

    assert db.scalar(select(func.count()).select_from(Facility)
                     .where(Facility.kind == FacilityKind.PACKING_HOUSE)) == 3
    assert db.scalar(select(func.count()).select_from(Product)) >= 3
    # The chain's partners: a trader, a packing house with its code and a GS1 company
    # prefix for its cartons, an exporter with its importer abroad.
    kinds = {o.kind: o for o in db.scalars(select(Organization))}
    assert {OrgKind.TRADER, OrgKind.PACKING_HOUSE, OrgKind.EXPORTER} <= set(kinds)
    assert kinds[OrgKind.PACKING_HOUSE].gs1_company_prefix
    assert db.scalar(select(Facility.code).where(
        Facility.organization_id == kinds[OrgKind.PACKING_HOUSE].id)).startswith("VN-TNPH-")
    assert db.scalar(select(ExternalParty.country)) == "CN"
    batches = db.scalars(select(Batch)).all()
    # Every harvest's quantity is its producer's opening stock.
    assert all(stock.held(db, b.organization_id, b.id) == b.quantity for b in batches)
    assert batches and all(b.areas for b in batches)
    assert db.scalar(select(func.count(func.distinct(TraceEvent.batch_id)))) == len(batches)
    assert {u.role.value for u in db.scalars(select(User))} == {"admin", "official", "producer"}

    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert db.scalar(select(func.count()).select_from(GrowingArea)) == len(areas)


def test_the_demo_is_never_loaded_in_production(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "production")
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output     # `make run` goes on and serves
    assert "Demo data not loaded: AGRITRACE_ENV is production" in result.output
    assert db.scalar(select(func.count()).select_from(User)) == 0
    banner = app.test_cli_runner().invoke(args=["seed", "banner"])
    assert "Demo logins" not in banner.output and demo.PASSWORD not in banner.output


def test_the_demo_is_not_loaded_beside_accounts_of_a_real_department(app, db, world):
    """A database restored from a backup and served with `make run` keeps only its own
    accounts: no published password is added to it."""
    users = db.scalar(select(func.count()).select_from(User))
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0 and "has accounts of its own" in result.output
    assert db.scalar(select(func.count()).select_from(User)) == users
    assert db.scalar(select(func.count()).select_from(GrowingArea)) == 0
