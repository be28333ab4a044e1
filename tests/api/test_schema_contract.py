"""What schemathesis found (.ci/schemathesis): the API answered what its schema did not say.

Each test pins one finding: the answer a client gets now, and the schema that describes it.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import client_for
from tests.grants.factories import advance, make_application, make_fund

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


def operation(schema, path, method):
    return schema["paths"][f"/api/v1/{path}"][method]


def test_every_error_a_view_gives_is_documented_in_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "detail"}
    assert {"fields", "retryable"} <= set(error["properties"])
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")) and code != "414":
                    content = response["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/Error"}, (method, path)
    retrieve = operation(schema, "applications/{id}/", "get")["responses"]
    assert {"200", "401", "404"} <= set(retrieve) and "403" not in retrieve
    pay = operation(schema, "applications/{id}/pay/", "post")["responses"]
    assert {"401", "403", "404", "409"} <= set(pay)
    topup = operation(schema, "applications/{id}/topups/", "post")["responses"]
    assert {"400", "429", "503"} <= set(topup)
    assert "413" in operation(schema, "applications/{id}/report/", "post")["responses"]
    assert "413" not in topup
    assert "429" in operation(schema, "auth/token/", "post")["responses"]


def test_a_real_error_matches_the_documented_shape(api):
    response = api.get("/api/v1/applications/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "detail"}


def test_an_application_without_organisation_says_null_and_the_schema_allows_it(schema, fund, api):
    application = advance(make_application(fund), "voting")
    body = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert body["organisation"] is None
    field = schema["components"]["schemas"]["Application"]["properties"]["organisation"]
    assert field.get("nullable") is True


def test_the_checks_of_a_draft_are_a_plain_list_as_the_schema_says(schema, fund):
    draft = make_application(fund)
    response = client_for(draft.applicant).get(f"/api/v1/applications/{draft.pk}/checks/")
    assert response.status_code == 200
    assert isinstance(response.json(), list) and response.json()[0]["rule"]
    ok = operation(schema, "applications/{id}/checks/", "get")["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["type"] == "array"


@pytest.mark.parametrize(
    "query",
    ["page_size=-395", "page_size=0", "page_size=101", "page_size=null", "page=0", "page=x"],
)
def test_a_page_or_page_size_out_of_range_is_a_400_naming_it(api, query):
    response = api.get(f"/api/v1/wijken/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == [query.split("=")[0]]


def test_pages_within_range_still_page(api):
    body = api.get("/api/v1/wijken/?page_size=3&page=2").json()
    assert body["count"] == 10 and len(body["results"]) == 3
    assert api.get("/api/v1/wijken/?page=99").status_code == 404


def test_the_schema_states_the_page_bounds(schema):
    parameters = {p["name"]: p["schema"] for p in operation(schema, "wijken/", "get")["parameters"]}
    assert parameters["page_size"]["minimum"] == 1
    assert parameters["page_size"]["maximum"] == 100


@pytest.mark.parametrize(
    "query", ["page_size=5&page_size=6", "fund=1&fund=2", "status=draft&status=voting"]
)
def test_a_parameter_given_twice_is_a_400(fund, api, query):
    response = api.get(f"/api/v1/applications/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert response.json()["fields"][query.split("=")[0]] == ["Give this parameter once."]


def test_filtering_by_an_unknown_id_is_an_empty_list_not_a_400(fund, api):
    advance(make_application(fund), "voting")
    for path in (
        "applications/?fund=999999",
        "funds/?cooperative=999999",
        "neighbourhoods/?wijk=999",
    ):
        response = api.get(f"/api/v1/{path}")
        assert response.status_code == 200, (path, response.content)
        assert response.json()["count"] == 0
    assert api.get(f"/api/v1/applications/?fund={fund.pk}").json()["count"] == 1


def test_id_filters_say_their_range_in_the_schema_and_keep_to_it(schema, api):
    parameters = {p["name"]: p["schema"] for p in operation(schema, "funds/", "get")["parameters"]}
    assert parameters["cooperative"] == {"type": "integer", "minimum": 1, "maximum": 2**62}
    assert api.get("/api/v1/funds/?cooperative=0").status_code == 400


def test_patching_the_payee_with_one_field_keeps_the_other(fund):
    """The schema's PATCH body has no required field: {} was a 400 "field required"."""
    application = make_application(fund)
    client = client_for(application.applicant)
    url = f"/api/v1/applications/{application.pk}/payee/"
    assert client.patch(url, {}, format="json").status_code == 200
    response = client.patch(url, {"payee_name": "Stichting Nieuw"}, format="json")
    assert response.status_code == 200, response.content
    application.refresh_from_db()
    assert application.payee_name == "Stichting Nieuw"
    assert application.payee_iban == "NL91ABNA0417164300"
    response = client.patch(url, {"payee_iban": "NL20INGB0001234567"}, format="json")
    application.refresh_from_db()
    assert (application.payee_name, application.payee_iban) == (
        "Stichting Nieuw",
        "NL20INGB0001234567",
    )


def test_patching_my_residency_with_nothing_changes_nothing(resident_a):
    client = client_for(resident_a)
    assert client.patch("/api/v1/residents/me/", {"notify_new_votes": True}, format="json").json()[
        "notify_new_votes"
    ]
    response = client.patch("/api/v1/residents/me/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["notify_new_votes"] is True


@pytest.mark.parametrize("path", ["applications/?mine=AAA", "bank/lines/?matched=yes"])
def test_a_boolean_filter_takes_true_or_false_only(path, fund, api, user):
    response = client_for(user).get(f"/api/v1/{path}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"].values()) == [["Give true or false."]]


def test_a_number_is_not_text(api):
    """{"receipt": 0} was checked as the receipt "0"; the schema says a string."""
    response = api.post("/api/v1/votes/receipts/check/", {"receipt": 0}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["receipt"]


def test_a_json_boolean_is_true_or_false_not_a_number(resident_a):
    client = client_for(resident_a)
    response = client.patch("/api/v1/residents/me/", {"notify_new_votes": 0}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["notify_new_votes"]


def test_the_schema_names_each_export_format_and_the_sepa_files_409(schema):
    export = operation(schema, "ledger/export/", "get")["responses"]["200"]["content"]
    assert {"text/csv", "application/xml", "text/plain"} <= set(export)
    assert "409" in operation(schema, "payouts/{id}/sepa/", "get")["responses"]
    entry = schema["components"]["schemas"]["JournalEntry"]["properties"]["created_by"]
    assert entry.get("nullable") is True
