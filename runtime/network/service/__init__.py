"""Network domain operations, one module per resource; :class:`Network` holds shared
state."""

from runtime.network.service.core import Network

__all__ = ["Network"]
