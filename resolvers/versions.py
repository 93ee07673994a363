"""Terms versions of any document (SOW or CSA): list, one by number, diff of two."""

from __future__ import annotations

from domain.csa import CsaTerms
from domain.sow import SowTerms
from domain.versioning import FieldChange, TermsVersion, check_version_number, diff
from resolvers.context import Context
from storage import csas, sows


async def versions(ctx: Context, entity_id: str) -> list[TermsVersion]:
    return await ctx.store.versions.list_for(entity_id)


async def version(ctx: Context, entity_id: str, number: int) -> TermsVersion | None:
    return await ctx.store.versions.get(entity_id, number)


async def terms_diff(
    ctx: Context, entity_id: str, latest: int, from_version: int, to_version: int
) -> list[FieldChange]:
    """Every changed leaf from one version to another; both numbers must exist."""
    check_version_number(from_version, latest, "fromVersion")
    check_version_number(to_version, latest, "toVersion")
    before = await ctx.store.versions.get(entity_id, from_version)
    after = await ctx.store.versions.get(entity_id, to_version)
    assert before is not None
    assert after is not None
    return diff(before.terms, after.terms)


def sow_terms(version: TermsVersion) -> SowTerms:
    """A SOW version's terms, parsed once per content hash (the cache SOWs read through)."""
    return sows.TERMS.get(version.hash, version.terms)


def csa_terms(version: TermsVersion) -> CsaTerms:
    """A CSA version's terms, parsed once per content hash (the cache CSAs read through)."""
    return csas.TERMS.get(version.hash, version.terms)
