"""Property-based fuzzing of the whole schema: no input may cause an internal error.

`hypothesis-graphql` writes valid documents (and, in negative mode, documents with one
schema violation) from the SDL; each is posted as a random party. Every answer must be
a coded refusal or data, never `INTERNAL_SERVER_ERROR`. Bounded to stay fast.
"""

from __future__ import annotations

from datetime import UTC

from graphql import ValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from api.cli import export_schema_sdl
from domain.currencies import ISO_4217
from domain.party import Role
from tests.conftest import Api

SDL = export_schema_sdl()
IDS = {
    Role.CLIENT: {"client_id": "65f0000000000000000000c1"},
    Role.AGENT: {"agent_id": "65f0000000000000000000a1"},
    Role.COMPLIANCE: {},
}


def _or_text(values: st.SearchStrategy[str]) -> st.SearchStrategy[ValueNode]:
    # Mostly well-formed values, sometimes any text: both must be answered cleanly.
    return st.one_of(values, values, st.text(max_size=30)).map(nodes.String)


SCALARS = {
    "Decimal": _or_text(
        st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**9).map(str)
    ),
    "Currency": _or_text(st.sampled_from(sorted(ISO_4217))),
    "Date": _or_text(st.dates().map(str)),
    "DateTime": _or_text(st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())),
    "JSON": _or_text(st.text(max_size=10)),
    # In a document, never a file part: the upload must refuse it cleanly.
    "Upload": _or_text(st.text(max_size=10)),
}
DOCUMENTS = st.one_of(
    *(
        kind(SDL, custom_scalars=SCALARS, mode=mode)
        for kind in (queries, mutations)
        for mode in (Mode.POSITIVE, Mode.NEGATIVE)
    )
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=DOCUMENTS, role=st.sampled_from(Role))
async def test_no_document_causes_an_internal_error(api: Api, document: str, role: Role) -> None:
    body = await api.post(document, token=api.token(role, **IDS[role]))
    codes = {error["extensions"]["code"] for error in body.get("errors") or ()}
    assert "INTERNAL_SERVER_ERROR" not in codes, (document, body)
