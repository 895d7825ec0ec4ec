"""Deployment definitions (never packaged into the Lambda bundle)."""
