"""HTTP plumbing shared by the three API surfaces: parsing, validation, cursors, envelopes."""
