import pytest

from microdrama.keys import KeyError_, check_key, episode_key


def test_episode_key_is_tenant_scoped() -> None:
    key = episode_key("acme", "heir", "ep01", "qc", "report.json")
    assert key == "tenants/acme/series/heir/episodes/ep01/qc/report.json"
    assert check_key(key) == key


@pytest.mark.parametrize("bad", ["..", "../etc", "a/b", "/abs", "x\x00y", "tab\there", "", ".hidden", "ep..01"])
def test_unsafe_segments_are_rejected(bad: str) -> None:
    with pytest.raises(KeyError_, match="invalid key segment"):
        episode_key("acme", "heir", bad)


@pytest.mark.parametrize("bad", ["tenants/acme/../other/x", "other/acme/x", "tenants//x", "/tenants/acme/x"])
def test_check_key_rejects_traversal_and_foreign_roots(bad: str) -> None:
    with pytest.raises(KeyError_):
        check_key(bad)
