def test_pipelines_and_create_deal(api, pipeline, stages):
    r = api.get("/pipelines")
    assert r.status_code == 200, r.content
    assert [p["id"] for p in r.json()["items"]] == [pipeline.pk]
    r = api.post("/deals", {"title": "Сайт", "pipeline_id": pipeline.pk, "budget": "1500.50"})
    assert r.status_code == 201, r.content
    deal = r.json()
    assert deal["stage_id"] == stages[0].pk and deal["budget"] == "1500.50"
    r = api.post(f"/deals/{deal['id']}/move", {"to_stage_id": stages[1].pk})
    assert r.status_code == 422, r.content
    assert {m["code"] for m in r.json()["missing"]} == {"task_completed"}
