"""Pure, synchronous PDF processing: bytes or a path + options in, dataclasses out.

Nothing here knows about users, databases, queues or storage, so the worker,
`docat process` and the benchmarks run exactly the same code.
"""
