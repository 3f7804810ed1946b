"""A refused form always says why: the service's sentence and each field's message,
whether marshmallow refused the input or a service refused the request."""
import html
import re

from marshmallow import ValidationError

from agritrace.errors import Conflict, Invalid
from agritrace.web.forms import form_errors, one_line
from support import PASSWORD, TAY_NINH, csrf_token, english, login
from test_batch_pages import form
from test_batches import issued_area, new_batch

EN = {"Accept-Language": "en"}


def beside(page: str, field: str) -> str:
    """The message shown under one input."""
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else ""


def shown(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def registration(token, **change):
    return {"csrf_token": token, "kind": "cooperative", "name": "HTX Sầu riêng Mới",
            "tax_code": "3900000011", "province_code": str(TAY_NINH), "address": "Xã Tầm Vu",
            "phone": "0272 3 123 456", "full_name": "Nguyễn Văn Tư",
            "email": "tu@htx-moi.vn", "password": "sau-rieng-2026", **change}


def test_a_refused_registration_shows_the_sentence_and_the_field(client, db, world):
    token = csrf_token(client, "/register")
    taken = client.post("/register", headers=EN,
                        data=registration(token, tax_code=world.org_a.tax_code))
    assert taken.status_code == 422
    page = shown(taken)
    assert f"An organisation with tax code {world.org_a.tax_code} is already registered." \
        in page
    assert beside(page, "tax_code") == "Already registered."
    # The schema's messages of the nested organisation and account go under their inputs.
    typo = client.post("/register", headers=EN,
                       data=registration(token, email="tu-at-htx", tax_code="12345"))
    assert typo.status_code == 422
    page = shown(typo)
    assert beside(page, "email") == "Not a valid e-mail address."
    assert "10 or 13 digits" in beside(page, "tax_code")


def test_a_refused_batch_shows_the_sentence_and_the_field(client, db, world):
    area = issued_area(client, world, 0)
    login(client, "a@test.vn", PASSWORD)
    token = csrf_token(client, "/portal/batches/new")
    r = client.post("/portal/batches/new", headers=EN, data=form(
        token, [area["id"]], product_id=world.product_a.id, pack_date="2026-11-19"))
    assert r.status_code == 400
    page = shown(r)
    assert "The packing date is before the harvest date." in page
    assert beside(page, "pack_date") == "Before the harvest."


def test_a_refused_diary_entry_shows_the_sentence_and_the_field(client, db, world):
    first, second = issued_area(client, world, 0), issued_area(client, world, 150)
    batch = new_batch(client, english(world.token(world.producer_a)), world, [first])
    login(client, "a@test.vn", PASSWORD)
    # Both subjects given, but the batch does not come from this area: the service says so.
    path = (f"/portal/diary/new?area_id={second['id']}&batch_id={batch.get_json()['id']}"
            "&step=sowing")
    token = csrf_token(client, path)
    r = client.post(path, headers=EN, data={"csrf_token": token, "date": "2026-11-10",
                                            "variety": "Ruột đỏ"})
    assert r.status_code == 400
    page = shown(r)
    assert "The batch does not come from this growing area." in page
    assert "Not one of the batch's areas." in page
    # A details field refused by the schema is named by its own input.
    path = f"/portal/diary/new?area_id={first['id']}&step=spraying"
    r = client.post(path, headers=EN, data={
        "csrf_token": token, "date": "2026-11-10", "product": "Antracol 70WP",
        "active_ingredient": "propineb", "dose": "30 g / 16 l", "phi_days": "-1"})
    assert r.status_code == 400
    assert beside(shown(r), "phi_days") == "Must be from 0 to 365."


def test_one_shape_for_both_kinds_of_refusal(app):
    with app.test_request_context(headers=EN):
        refused = Invalid("plot.kml cannot be read: No polygon.",
                          {"file": ["No polygon."], "problems": [{"code": "no_features"}],
                           "report": {"total": 0}})
        # The records for API clients stay out of the page.
        assert form_errors(refused) == {"_": ["plot.kml cannot be read: No polygon."],
                                        "file": ["No polygon."]}
        assert one_line(form_errors(refused)) == "plot.kml cannot be read: No polygon."
        assert form_errors(Conflict("The batch is recalled.")) == {
            "_": ["The batch is recalled."]}
        nested = ValidationError({"organization": {"name": ["Missing data for required "
                                                            "field."]},
                                  "area_ids": {0: ["Not a valid integer."]},
                                  "_schema": ["Give at least one field to change."]})
        assert form_errors(nested) == {"name": ["This field is required."],
                                       "area_ids": ["Not a whole number."],
                                       "_": ["Give at least one field to change."]}
        assert one_line(form_errors(nested)) == ("Give at least one field to change. "
                                                 "This field is required. Not a whole number.")
