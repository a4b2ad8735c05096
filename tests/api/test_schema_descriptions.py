"""Every type, field, argument and enum value of the schema is described, as GraphiQL and
graphql-codegen show them; access rules are worded one way everywhere.

The schema is read through the introspection query (what a client sees), not through Python
objects. Built-in scalars and the introspection types (`__Schema` and the like) are GraphQL's own.
"""

from __future__ import annotations

from typing import Any

from graphql import get_introspection_query, graphql_sync

from graphql_api.schema import schema

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
# Who may use an operation: the last words of every Query, Mutation and Subscription field.
ACCESS_NOTES = (
    " Public.",
    " Any signed-in user.",
    " Any signed-in user; ADMIN sees all.",
    " Owner or ADMIN.",
    " ADMIN only.",
)


def introspection() -> dict[str, Any]:
    query = get_introspection_query(descriptions=True, specified_by_url=True, input_value_deprecation=True)
    result = graphql_sync(schema._schema, query)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["__schema"]  # type: ignore[no-any-return]


def described(item: dict[str, Any]) -> bool:
    return bool((item.get("description") or "").strip())


def undescribed(data: dict[str, Any]) -> list[str]:
    missing: list[str] = []
    for kind in data["types"]:
        name = kind["name"]
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        if not described(kind):
            missing.append(f"type {name}")
        for field in (kind.get("fields") or []) + (kind.get("inputFields") or []):
            if not described(field):
                missing.append(f"field {name}.{field['name']}")
            for argument in field.get("args") or []:
                if not described(argument):
                    missing.append(f"argument {name}.{field['name']}({argument['name']})")
        for value in kind.get("enumValues") or []:
            if not described(value):
                missing.append(f"enum value {name}.{value['name']}")
    return missing


def root_fields(data: dict[str, Any]) -> list[tuple[str, str]]:
    roots = {data[k]["name"] for k in ("queryType", "mutationType", "subscriptionType") if data.get(k)}
    return [
        (f"{kind['name']}.{field['name']}", field["description"] or "")
        for kind in data["types"]
        if kind["name"] in roots
        for field in kind["fields"]
    ]


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    assert undescribed(introspection()) == []


def test_the_check_finds_what_is_missing() -> None:
    data = introspection()
    document = next(t for t in data["types"] if t["name"] == "Document")
    document["fields"][0]["description"] = None
    job_status = next(t for t in data["types"] if t["name"] == "JobStatus")
    job_status["enumValues"][0]["description"] = " "
    assert sorted(undescribed(data)) == ["enum value JobStatus.QUEUED", "field Document.id"]


def test_every_operation_says_who_may_use_it_the_same_way() -> None:
    """Each root field ends with one of ACCESS_NOTES; "ADMIN only." is the one way to say it."""
    fields = root_fields(introspection())
    for name, description in fields:
        assert description.endswith(ACCESS_NOTES), f"{name}: end with one of {ACCESS_NOTES}: {description!r}"
        assert not description.startswith("ADMIN:"), f"{name}: say 'ADMIN only.' at the end instead"
    admin_only = {name for name, description in fields if description.endswith(" ADMIN only.")}
    assert admin_only == {
        "Query.users",
        "Query.settings",
        "Query.providerKeys",
        "Mutation.createUser",
        "Mutation.updateUser",
        "Mutation.updateSetting",
        "Mutation.addProviderKey",
        "Mutation.removeProviderKey",
        "Subscription.allJobs",
    }


def test_date_time_names_its_specification() -> None:
    scalars = {t["name"]: t for t in introspection()["types"] if t["kind"] == "SCALAR"}
    assert scalars["DateTime"]["specifiedByURL"] == "https://scalars.graphql.org/andimarek/date-time"
    assert scalars["Date"]["specifiedByURL"] == "https://scalars.graphql.org/andimarek/local-date"
