"""``schema.graphql`` is the partner contract: it must match the code, and document itself."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
)

from graph.permissions.fields import declared_scopes
from graph.schema import build_schema
from graph.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
REGENERATE = "run `make schema` (aescrm export-schema --output schema.graphql) and commit it"


def current_sdl() -> str:
    return build_schema(Settings()).as_str() + "\n"


def test_schema_file_is_up_to_date() -> None:
    assert SCHEMA_FILE.exists(), f"schema.graphql is missing: {REGENERATE}"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == current_sdl(), (
        f"schema.graphql is stale: {REGENERATE}"
    )


def test_schema_file_is_the_production_schema_too() -> None:
    # The contract must not depend on the environment the file was exported in.
    production = Settings(env="production", secret_key="x" * 40)
    assert build_schema(production).as_str() + "\n" == current_sdl()


def undocumented() -> list[str]:
    schema = build_schema(Settings())._schema
    roots = {
        t.name for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t
    }
    offenders: list[str] = []
    for name, named in sorted(schema.type_map.items()):
        if name.startswith("__") or not isinstance(
            named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            continue
        kind: GraphQLNamedType = named
        # Root types are merged from per-domain classes (merge_types takes no description).
        if not kind.description and name not in roots:
            offenders.append(name)
        for field_name, field in named.fields.items():
            if field_name != "id" and not field.description:
                offenders.append(f"{name}.{field_name}")
    return offenders


def test_every_type_and_field_has_a_description() -> None:
    offenders = undocumented()
    assert offenders == []


def test_every_argument_has_a_description() -> None:
    schema = build_schema(Settings())._schema
    offenders = [
        f"{type_name}.{field_name}({argument_name})"
        for type_name, named in sorted(schema.type_map.items())
        if not type_name.startswith("__") and isinstance(named, GraphQLObjectType)
        for field_name, field in named.fields.items()
        for argument_name, argument in field.args.items()
        if not argument.description
    ]
    assert offenders == []


def test_every_protected_field_names_its_scopes_in_its_description() -> None:
    # Introspection (what partner tooling reads) shows descriptions, not applied directives.
    schema = build_schema(Settings())
    offenders: list[str] = []
    for type_name, named in sorted(schema._schema.type_map.items()):
        if type_name.startswith("__") or not isinstance(named, GraphQLObjectType):
            continue
        for field_name, field in named.fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            scopes = declared_scopes(definition) if definition is not None else ()
            if any(scope.name not in (field.description or "") for scope in scopes):
                offenders.append(f"{type_name}.{field_name}")
    assert offenders == []
