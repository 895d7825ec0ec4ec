"""Disqua: a serverless chat and discussion backend (packaged into the Lambda bundle)."""
