def test_neighbourhoods(api, db):
    r = api.get("/api/v1/neighbourhoods/")
    assert r.status_code == 200, r.content
    assert r.json()["count"] == 22
