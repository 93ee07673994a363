"""The frontend example (frontend/): the README's examples are its named operations, they
validate against `schema.graphql`, and codegen and `tsc --strict` pass on it.

Node and npm do the last part. A machine without them skips it, saying so (`-ra` lists the
reason); in CI (`CI` set) their absence fails the run, so the check cannot silently go.
`node_modules` stays in frontend/ between runs, like .venv, and is installed again (`npm ci`)
only when package-lock.json is newer than the last install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    build_schema,
    concat_ast,
    parse,
    print_ast,
    validate,
)

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
OPERATIONS = FRONTEND / "operations"
GENERATED = FRONTEND / "src" / "generated" / "graphql.ts"
NPM_CI = ("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts")
NODE_SECONDS = 300


def frontend_documents() -> list[DocumentNode]:
    return [parse(path.read_text()) for path in sorted(OPERATIONS.glob("*.graphql"))]


def readme_documents() -> list[DocumentNode]:
    text = (ROOT / "README.md").read_text()
    return [parse(block) for block in re.findall(r"```graphql\n(.*?)```", text, re.DOTALL)]


def definitions(documents: list[DocumentNode]) -> dict[str, str]:
    """Each operation and fragment by name, printed the same whatever its layout."""
    found: dict[str, str] = {}
    for document in documents:
        for definition in document.definitions:
            assert isinstance(definition, ExecutableDefinitionNode), definition
            assert isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
            assert definition.name is not None, f"an anonymous operation: {print_ast(definition)}"
            name = definition.name.value
            assert name not in found, f"{name} is defined twice"
            found[name] = print_ast(definition)
    return found


def test_the_readme_examples_are_the_frontends_named_operations() -> None:
    readme = definitions(readme_documents())
    frontend = definitions(frontend_documents())
    assert readme, "the README has no GraphQL example"
    for name, printed in readme.items():
        assert frontend.get(name) == printed, f"{name}: the README and frontend/ differ"


def test_the_frontends_operations_validate_against_the_schema() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text())
    assert validate(schema, concat_ast(frontend_documents())) == []


def _tools() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        message = (
            f"NOT CHECKED: frontend/ codegen and tsc --strict need {' and '.join(missing)} "
            "(Node 20 or later) on PATH"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _run(*command: str) -> None:
    done = subprocess.run(
        command,
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        check=False,
        timeout=NODE_SECONDS,
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"


def _install() -> None:
    installed = FRONTEND / "node_modules" / ".package-lock.json"
    lock = FRONTEND / "package-lock.json"
    if not installed.exists() or lock.stat().st_mtime > installed.stat().st_mtime:
        _run(*NPM_CI)


def test_codegen_and_strict_typecheck_pass_on_the_frontend_example() -> None:
    _tools()
    _install()
    GENERATED.unlink(missing_ok=True)
    _run("node_modules/.bin/graphql-codegen", "--config", "codegen.ts")
    assert "export const ContractEventsDocument" in GENERATED.read_text()
    _run("node_modules/.bin/tsc", "--strict", "--noEmit", "-p", "tsconfig.json")
