def test_demo_fixture_connects(demo):
    assert demo.state == "ready"
    assert "query" in demo.tools().names()
