"""Business rules, one module per aggregate. No Chalice here: services take a
Principal and plain values, raise chalicelib.errors, and call chalicelib.store."""
