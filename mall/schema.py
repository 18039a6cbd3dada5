"""The OpenAPI schema tells every answer an endpoint really gives.

drf-spectacular documents the success answers (and what an ``extend_schema`` lists);
DRF itself answers more: 400 for bad input, 403 without a session (or without the CSRF
token on a write), 404 for a missing object or a page past the end. This post-processing
hook adds those answers, with the error body's shape, to every operation that can give
them, without overriding what an endpoint documents itself. tests/ops/test_api_contract.py
(schemathesis) holds the schema to it."""

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: ``detail`` says what went wrong; a 400 for bad input also "
    "carries each field's messages, under the field's name (DRF's own validation) or under "
    "``fields`` (the refusals of mall.refusals, with a ``code``).",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "additionalProperties": True,
}
UNSAFE = {"post", "put", "patch", "delete"}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
        },
    }


def add_error_answers(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: 400, 403 and 404 where an operation can give them."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in UNSAFE | {"get", "head"}:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            takes_input = bool(operation.get("requestBody")) or any(
                parameter["in"] in ("query", "header") for parameter in parameters
            )
            signed_in_only = {} not in operation.get("security", [{}])
            has_pages = any(parameter["name"] == "page" for parameter in parameters)
            if takes_input:
                responses.setdefault("400", _error("Bad input: field errors, or a refusal."))
            if signed_in_only or method in UNSAFE:
                responses.setdefault(
                    "403", _error("Not signed in, or a write without the CSRF token.")
                )
            if "{" in path or has_pages:
                responses.setdefault("404", _error("No such object (of yours), or no such page."))
    return result
