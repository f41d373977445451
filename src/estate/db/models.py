"""Imports every domain's models so the metadata (and Alembic) sees all tables."""

from estate.accounts import models as accounts_models  # noqa: F401
from estate.agents import models as agents_models  # noqa: F401
from estate.assets import models as assets_models  # noqa: F401
from estate.auth import models as auth_models  # noqa: F401
from estate.cmdb import models as cmdb_models  # noqa: F401
from estate.db import installation as installation_models  # noqa: F401
from estate.db.base import Base
from estate.distribution import models as distribution_models  # noqa: F401
from estate.history import models as history_models  # noqa: F401
from estate.inventory import models as inventory_models  # noqa: F401
from estate.orgs import models as orgs_models  # noqa: F401
from estate.reporting import models as reporting_models  # noqa: F401
from estate.scripting import models as scripting_models  # noqa: F401
from estate.servicedesk import models as servicedesk_models  # noqa: F401

metadata = Base.metadata
