"""Event handlers: the stream router and the SQS consumers. They call services."""
