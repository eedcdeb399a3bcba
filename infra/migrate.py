"""Apply the register's pending migrations (infra/migrations/) to ``DATABASE_URL`` and exit:
``python -m infra.migrate``. Run it before a new release's workers and API start (a Kubernetes
Job, a compose one-shot service); two at once wait for each other (an advisory lock), and a
database already up to date is left alone. Exit 0 when the database is up to date."""

from __future__ import annotations

import asyncio
import sys

from infra.db import migrate
from infra.settings import get_settings


def main() -> int:
    settings = get_settings()
    if not settings.database_url:
        print("DATABASE_URL is not set", file=sys.stderr)
        return 2
    applied = asyncio.run(migrate(settings.database_url))
    print("migrations applied: " + (", ".join(applied) or "none (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
