"""`python -m nylon_ring_sdk` runs the `nylon-ring` command."""

from .entry import main

main()
