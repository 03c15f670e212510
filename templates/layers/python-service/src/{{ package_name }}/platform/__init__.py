"""The platform package: owned by the golden path, updated by `paved update`.

Everything a production service needs around the team's code lives here:
settings, the resilient outbound client, deadlines, load shedding, health and
version endpoints, telemetry and graceful shutdown. Change behaviour through
settings (settings.py) rather than by editing these files: edits here become
merge conflicts at the next template update. Team code lives beside this
package (main.py, api.py, settings.py) and is never touched by updates.
"""

from .app import Outbound, create_app
from .client import OutboundClient
from .deadline import Deadline, current_deadline
from .errors import (
    CircuitOpen,
    ConcurrencyLimited,
    DeadlineExceeded,
    DownstreamError,
    DownstreamUnavailable,
)
from .settings import PlatformSettings

__all__ = [
    "CircuitOpen",
    "ConcurrencyLimited",
    "Deadline",
    "DeadlineExceeded",
    "DownstreamError",
    "DownstreamUnavailable",
    "Outbound",
    "OutboundClient",
    "PlatformSettings",
    "create_app",
    "current_deadline",
]
