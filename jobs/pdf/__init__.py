"""Pure, synchronous PDF processing: bytes or a path + options in, dataclasses out.

Nothing here knows about users, databases, queues or storage, so the worker,
`docat process` and the benchmarks run exactly the same code.
"""

# MuPDF prints its errors to stdout unless told otherwise: off before any file is opened.
from jobs.pdf import mupdf_messages as _mupdf_messages  # noqa: F401
