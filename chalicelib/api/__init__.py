"""HTTP facades. Only this package (and chalicelib/http) knows about HTTP."""
