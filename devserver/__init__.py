"""The local runtime (`make run`): never packaged into the Lambda bundle."""
