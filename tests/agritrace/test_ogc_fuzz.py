"""Schemathesis over /ogc/api: requests built from the API definition never get a
server error, and every answer (status, media type, body) is one the definition
promises. The demo-like data come from the same fixture as test_ogc.py."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from test_ogc import published  # noqa: F401  (the fixture)

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture
def ogc_schema(app, db, published):  # noqa: F811
    schema = schemathesis.openapi.from_wsgi("/ogc/api?f=json", app)
    # Valid requests only: invalid ones are checked by hand in test_ogc.py, since one
    # rule cannot be said in OpenAPI and is the standard's own: a `limit` above the
    # maximum is read as the maximum rather than refused.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    return schema


schema = schemathesis.pytest.from_fixture("ogc_schema")

# A schema-valid bbox can still be impossible (south of its north, latitude 95), and a
# datetime is any string to OpenAPI: a 400 there is right, so "positive data
# acceptance" does not apply.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


@schema.parametrize()
@SETTINGS
def test_ogc_answers_as_its_definition_says(case):
    case.call_and_validate(excluded_checks=EXCLUDED)
