"""nylon-ring-sdk: one schema for the nylon-ring plugin ABI and the tools built on it.

The package is a library first; ``nylon_ring_sdk.cli`` is a thin command-line layer
over it. Heavy modules (cookiecutter, pycparser, the reference host) are imported
lazily by the parts that need them so that ``gen-bindings`` stays fast.
"""

__version__ = "0.1.0"
