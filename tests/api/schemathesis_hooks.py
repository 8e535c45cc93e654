"""Checks the schema-driven fuzzer (schemathesis) runs on every answer, on top of its own: loaded through
SCHEMATHESIS_HOOKS by tests/api/test_schemathesis.py."""
import schemathesis


@schemathesis.check
def error_has_json_shape(ctx, response, case):
    """Every answer under /api/v1 that is not a success is `{"error": {"code": ..., "message": ...}}` JSON."""
    if response.status_code < 400:
        return None
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), (
        f"{response.status_code} answered as {response.headers.get('content-type')}")
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert isinstance(body["error"].get("code"), str) and isinstance(body["error"].get("message"), str), body
    return None
