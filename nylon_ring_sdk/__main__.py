"""`python -m nylon_ring_sdk` runs the `nylon-ring` command."""

from .cli import main

main()
