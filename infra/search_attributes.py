"""Register our custom search attributes on a Temporal cluster (self-hosted or Cloud).

The dev stack registers them itself (infra/devstack.py) and the tests through the operator
service (tests/support/temporal.py); a production namespace needs them once, before the first
worker starts, or workflows that upsert them fail:

    python -m infra.search_attributes --address temporal.internal:7233 --namespace biosafety

The address and namespace default to BIOSAFETY_TEMPORAL_ADDRESS and BIOSAFETY_TEMPORAL_NAMESPACE,
and the connection uses the same TLS settings (client certificate, CA) as the worker.

Idempotent: attributes already present with the right type are left alone; one present with a
different type is reported and the command exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client

from infra.settings import get_settings
from infra.temporal import connect
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


def wanted() -> dict[str, IndexedValueType.ValueType]:
    return {
        key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
        for key in ALL_SEARCH_ATTRIBUTES
    }


async def register(client: Client) -> tuple[list[str], list[str]]:
    """Add the missing attributes; return (added, conflicting)."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    present = dict(existing.custom_attributes)
    missing = {name: kind for name, kind in wanted().items() if name not in present}
    conflicts = [
        f"{name}: registered as {IndexedValueType.Name(present[name])}, "
        f"needed {IndexedValueType.Name(kind)}"
        for name, kind in wanted().items()
        if name in present and present[name] != kind
    ]
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing), conflicts


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    settings = get_settings()
    parser.add_argument("--address", default=settings.temporal_address)
    parser.add_argument("--namespace", default=settings.temporal_namespace)
    args = parser.parse_args(argv)
    # TLS, client certificate or API key as the worker connects (BIOSAFETY_TEMPORAL_*)
    client = await connect(
        settings.model_copy(
            update={"temporal_address": args.address, "temporal_namespace": args.namespace}
        )
    )
    added, conflicts = await register(client)
    print("added: " + (", ".join(added) or "none (all present)"))
    for line in conflicts:
        print(f"conflict: {line}", file=sys.stderr)
    return 1 if conflicts else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
