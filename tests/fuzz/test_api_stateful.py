"""Schemathesis, stateful: chains of API calls (create → read → update → delete, and
the state changes between), following the links schemathesis infers from the spec
(an `id` in a create's response feeds the `{…_id}` of the operations on that
resource; the spec itself declares no OpenAPI links). As a producer with a write
token: no step may get a server error, and every answer must match the spec.

`make test` runs a small, repeatable budget; `make fuzz` (Hypothesis profile "fuzz",
see conftest.py) runs the profile's budget with fresh random draws."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

FUZZING = settings.get_current_profile_name() == "fuzz"
SCENARIOS = settings.default.max_examples // 10 if FUZZING else 12
SETTINGS = settings(max_examples=SCENARIOS, stateful_step_count=8, deadline=None,
                    derandomize=not FUZZING,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.filter_too_much])

# As in tests/agritrace/test_api_fuzz.py: some rules cannot be said in OpenAPI (a ward
# must lie in the chosen province; a product name is unique per organisation), so a
# 422 for a schema-valid request is right.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture
def workflow(app, db, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Every call with the producer's token. Valid requests only: invalid ones are
    # test_api_fuzz's job, and here they would end chains before they get anywhere.
    schema.config.update(headers=world.token(world.producer_a))
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])

    own = world.org_a.id
    connection = db.get_bind()

    class ProducerWorkflow(schema.as_state_machine()):
        # Each scenario starts from the same data: what one left behind (a product name
        # taken, a batch closed) would make the next draw the same calls with other
        # answers, which Hypothesis refuses as flaky data generation.
        def setup(self):
            self.scenario = connection.begin_nested()

        def teardown(self):
            self.scenario.rollback()

        def before_call(self, case):
            # A drawn organisation id is nearly always someone else's (403/404) and ends
            # the chain; the producer's own lets create → read → update → delete go on.
            # Foreign ids are test_api_fuzz's and test_access_matrix's business.
            if isinstance(case.body, dict) and "organization_id" in case.body:
                case.body["organization_id"] = own

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, additional_checks=additional_checks,
                                   excluded_checks=EXCLUDED, transport_kwargs=kwargs)

    return ProducerWorkflow


def test_the_links_chain_create_read_update_delete(workflow):
    # Without links the run would be single calls, as in test_api_fuzz: the inferred
    # ones must lead from creating a product to reading, changing and deleting it.
    targets = set(_link_targets(workflow.schema.raw_schema, "/api/v1/products", "post"))
    for method in ("get", "patch", "delete"):
        assert ("/api/v1/products/{product_id}", method) in targets


def test_api_workflows_as_producer(workflow):
    workflow.run(settings=SETTINGS)


def _link_targets(spec, path, method):
    """(path, method) of the operations the links of one operation's answers lead to."""
    for answer in spec["paths"][path][method]["responses"].values():
        for link in answer.get("links", {}).values():
            # operationRef is a JSON pointer: "#/paths/~1api~1v1~1products~1{product_id}/get"
            _, _, pointer, target_method = link["operationRef"].split("/")
            yield pointer.replace("~1", "/").replace("~0", "~"), target_method
