from tests.helpers import create_workspace, register
from tools import operator


def test_set_plan(api, capsys):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    assert operator.main(["set-plan", ws["id"], "pro"]) == 0
    assert api.get(f"/v1/workspaces/{ws['id']}", token=owner.access_token).data["plan"] == "pro"
    assert "pro plan" in capsys.readouterr().out


def test_set_plan_of_unknown_workspace(api, capsys):
    assert operator.main(["set-plan", "01a2088c-37fa-72c1-8671-8ba9a11937e0", "pro"]) == 1
    assert operator.main(["set-plan", "nope", "pro"]) == 2
    assert "no workspace" in capsys.readouterr().err
