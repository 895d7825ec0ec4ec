"""OWASP API4:2023 Unrestricted Resource Consumption: bodies, depth, string sizes, item and
page sizes, list limits (one package: the risk has several independent budgets)."""
