"""Every problem the API can answer names the rule it enforces and, where the rule comes from a
treaty, the article (issue 13, "errors people can act on").

Two halves: the source, read here, where every refusal is raised (a workflow's validator with
``refuse``/``invalid``, or a domain error of api/errors.py) must name its rule, and its article
where its message cites one; and the answers, which every API test checks as it goes
(tests/api/conftest.py ``check_problem``) and the contract test checks against the OpenAPI
document, where ``rule`` is required.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from api import errors
from tests.api.conftest import CITES, RULE

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = re.compile(r"^(SP )?Arts? \d+[a-z]?(\(\d+\))*(\([a-z]+\))*(\([ivx]+\))*([-, ]+.*)?$")

WORKFLOW_RAISES = {"refuse", "invalid"}
# Domain errors that carry no rule of their own: each raise says which rule it enforces.
NAMED_AT_RAISE = {
    name
    for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, errors.ProblemError) and cls.rule is None
}
PROBLEM_CLASSES = {
    name
    for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, errors.ProblemError)
}


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _text(node: ast.expr | None) -> str:
    """The literal parts of a message (an f-string's constant pieces, a concatenation's)."""
    if node is None:
        return ""
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _raises() -> Iterator[tuple[str, int, str, ast.Call]]:
    for folder in ("workflows", "api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = _callee(node)
                    if name in WORKFLOW_RAISES | PROBLEM_CLASSES and not (
                        name in WORKFLOW_RAISES and folder == "api"
                    ):
                        yield str(path.relative_to(ROOT)), node.lineno, name, node


RAISES = list(_raises())


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_the_source_has_the_refusals_this_test_reads() -> None:
    names = {name for _, _, name, _ in RAISES}
    assert {"refuse", "invalid", "CommandRefused", "InvalidNotification"} <= names
    assert len(RAISES) > 150


@pytest.mark.parametrize(
    "where,line,name,call",
    [pytest.param(*r, id=f"{r[0]}:{r[1]}") for r in RAISES],
)
def test_every_refusal_names_its_rule_and_article(
    where: str, line: int, name: str, call: ast.Call
) -> None:
    rule = _keyword(call, "rule")
    if name in WORKFLOW_RAISES or name in NAMED_AT_RAISE:
        assert rule is not None, f"{where}:{line}: {name}(...) names no rule="
    if rule is not None:
        assert isinstance(rule, ast.Constant) and RULE.match(str(rule.value)), (
            f"{where}:{line}: rule= must be a kebab-case literal"
        )
    article = _keyword(call, "article")
    message = _text(call.args[0] if call.args else None)
    if CITES.search(message):
        assert article is not None, f"{where}:{line}: the message cites an article: {message!r}"
    if isinstance(article, ast.Constant):
        assert ARTICLE.match(str(article.value)), f"{where}:{line}: article={article.value!r}"
        cited = str(article.value).removeprefix("SP ")
        first = re.match(r"Arts? \d+", cited)
        assert first is None or not CITES.search(message) or first.group(0) in message, (
            f"{where}:{line}: article={article.value!r} but the message cites another: {message!r}"
        )
