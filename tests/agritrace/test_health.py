def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from agritrace.config import project_root
    config = Config()
    config.set_main_option("script_location", str(project_root() / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def test_healthz_reports_database_postgis_and_migration(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["postgis"].split(".")[0] == "3"
    assert body["migration"] == _head_revision() is not None and _head_revision()


def test_unknown_api_path_is_problem_json(client):
    response = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.get_json()["title"] == "Not found"
    vietnamese = client.get("/api/v1/nothing-here").get_json()
    assert vietnamese["title"] == "Không tìm thấy"


def test_unknown_page_is_html(client):
    response = client.get("/nothing-here", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "There is nothing at this address." in response.get_data(as_text=True)


def test_ogc_landing_links_resolve(client):
    landing = client.get("/ogc").get_json()
    for link in landing["links"]:
        path = link["href"].split("://", 1)[1].split("/", 1)[1]
        assert client.get("/" + path).status_code == 200, link
    core = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
    assert core in client.get("/ogc/conformance").get_json()["conformsTo"]
