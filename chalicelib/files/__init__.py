"""Uploaded files: what the upload API and the file processor do with the bytes.

* ``inspect``: a client's filename made safe to show and to put in a header, the type
  sniffed from the first bytes, and whether it agrees with the declared type.
* ``thumbnails``: image thumbnails and a full-size copy, re-encoded without metadata.
* ``scanner``: a ClamAV verdict for a file on disk.

Importing any of these stays cheap (no Pillow, no filetype until first use): the API
handlers import them on cold start and most requests never touch an image.
"""
