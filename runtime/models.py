"""Every service's tables, imported so that one metadata (and one migration run) has them."""

from runtime.common.db import Base
from runtime.compute import models as compute_models  # noqa: F401
from runtime.identity import models as identity_models  # noqa: F401
from runtime.image import models as image_models  # noqa: F401
from runtime.network import models as network_models  # noqa: F401

metadata = Base.metadata
