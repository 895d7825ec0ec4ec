"""The single DynamoDB table: models, key formats and repositories.

The only package that knows key formats. Services call the repository functions;
they never build a key or a condition expression.
"""
