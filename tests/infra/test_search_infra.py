"""Search in the stack: the SearchEngine parameter turns an OpenSearch domain on, and with it the
API's and the indexer's SEARCH_URL and their permission to call it; "none" (the default) leaves
neither, so the app answers 503 and acknowledges its indexing events (docs/search.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import config
from infra import merge
from tests.infra.test_merge import _packaged, functions_of, target

SEARCHERS = {"APIHandler", "IndexForSearch"}


def resolve(template: dict[str, Any], engine: str) -> dict[str, Any]:
    """The template as CloudFormation would deploy it with SearchEngine=<engine>: conditions
    evaluated, conditional resources and outputs dropped, Fn::If chosen."""
    assert engine in template["Parameters"]["SearchEngine"]["AllowedValues"]

    def condition(name: str) -> bool:
        return value(template["Conditions"][name])

    def value(node: Any) -> Any:
        if isinstance(node, list):
            return [value(v) for v in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"} and node["Ref"] == "SearchEngine":
            return engine
        if set(node) == {"Fn::Equals"}:
            left, right = value(node["Fn::Equals"])
            return left == right
        if set(node) == {"Fn::Not"}:
            return not value(node["Fn::Not"][0])
        if set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            return value(yes if condition(name) else no)
        return {k: value(v) for k, v in node.items()}

    resolved = {k: v for k, v in template.items() if k not in ("Resources", "Outputs")}
    for section in ("Resources", "Outputs"):
        resolved[section] = {
            name: value(item)
            for name, item in template.get(section, {}).items()
            if "Condition" not in item or item["Condition"] != "SearchOnOpenSearch" or condition(item["Condition"])
        }
    return resolved


@pytest.fixture(params=("dev", "prod"))
def packaged(request: pytest.FixtureRequest) -> dict[str, Any]:
    return json.loads(_packaged(request.param))


def test_search_is_off_by_default_and_then_nothing_of_it_is_deployed(packaged):
    parameter = packaged["Parameters"]["SearchEngine"]
    assert parameter["Default"] == "none" and parameter["AllowedValues"] == ["none", "opensearch"]
    off = resolve(packaged, "none")
    assert "SearchDomain" not in off["Resources"] and "SearchAccessPolicy" not in off["Resources"]
    assert "SearchDomainEndpoint" not in off["Outputs"]
    for logical in SEARCHERS:
        assert off["Resources"][logical]["Properties"]["Environment"]["Variables"]["SEARCH_URL"] == ""


def test_opensearch_gives_the_api_and_the_indexer_the_domain_and_no_one_else(packaged):
    """The router knows the URL too (to send the indexer nothing without an engine), but only the
    API and the indexer may call the domain."""
    on = resolve(packaged, "opensearch")
    resources = on["Resources"]
    endpoint = {"Fn::Sub": "https://${SearchDomain.DomainEndpoint}"}
    knowing = {*SEARCHERS, "RouteEvents"}
    for logical, function in functions_of(on).items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert (variables.get("SEARCH_URL") == endpoint) is (logical in knowing), logical
        assert ("SEARCH_URL" in variables) is (logical in knowing), logical
    policy = resources["SearchAccessPolicy"]
    assert policy["Type"] == "AWS::IAM::Policy"
    roles = {target(functions_of(on)[logical]["Properties"]["Role"])[0] for logical in SEARCHERS}
    assert {ref["Ref"] for ref in policy["Properties"]["Roles"]} == roles
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == {"Fn::Sub": "${SearchDomain.Arn}/*"}
    assert set(statement["Action"]) == {"es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"}
    assert "es:ESHttpDelete" not in statement["Action"]  # tombstones: the roles cannot drop the index
    assert on["Outputs"]["SearchDomainEndpoint"]["Value"] == endpoint


def test_the_domain_is_the_cheap_floor_encrypted_https_only_and_trusts_iam(packaged):
    domain = resolve(packaged, "opensearch")["Resources"]["SearchDomain"]["Properties"]
    assert domain["ClusterConfig"] == {
        "InstanceType": "t3.small.search",
        "InstanceCount": 1,
        "DedicatedMasterEnabled": False,
        "ZoneAwarenessEnabled": False,
    }
    assert domain["EBSOptions"] == {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": 10}
    assert domain["EncryptionAtRestOptions"]["Enabled"] and domain["NodeToNodeEncryptionOptions"]["Enabled"]
    assert domain["DomainEndpointOptions"]["EnforceHTTPS"] is True
    (grant,) = domain["AccessPolicies"]["Statement"]
    assert grant["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    # The access policy names this domain: the same name expression as DomainName.
    name_template, name_vars = domain["DomainName"]["Fn::Sub"]
    resource_template, resource_vars = grant["Resource"]["Fn::Sub"]
    assert resource_template.endswith(f":domain/{name_template}/*") and resource_vars == name_vars


def test_the_app_reads_what_the_stack_gives(packaged, monkeypatch):
    monkeypatch.setenv("DISQUA_STAGE", "dev")
    monkeypatch.delenv("SEARCH_DB", raising=False)
    for engine, url, expected in (
        ("none", "", "none"),
        ("opensearch", "https://search-x.eu-west-1.es.amazonaws.com", "opensearch"),
    ):
        variables = resolve(packaged, engine)["Resources"]["IndexForSearch"]["Properties"]["Environment"]["Variables"]
        monkeypatch.setenv("SEARCH_URL", url if variables["SEARCH_URL"] else "")
        config.reset()
        try:
            assert config.get_settings().search_engine == expected
        finally:
            config.reset()


def test_the_policy_follows_the_handlers(packaged):
    assert set(merge.SEARCHES) == {"api_handler", "index_for_search"}
    assert packaged["Resources"]["SearchAccessPolicy"]["Condition"] == "SearchOnOpenSearch"
