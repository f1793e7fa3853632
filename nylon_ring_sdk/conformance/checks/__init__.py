"""The checks, registered in report order by importing their modules."""

from . import load, calls, streams  # noqa: F401  (registration order is report order)
