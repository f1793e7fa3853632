"""The checks, registered in report order by importing their modules."""

from . import load, calls, streams  # noqa: F401  (registration order is report order)
from . import abi2  # noqa: F401  (the ABI 2 catalogue, which reuses the functions above)
from . import hostile  # noqa: F401  (the hostile host's checks, both catalogues)
from . import overlap  # noqa: F401  (both catalogues: sessions of every kind in flight together)
