"""What steps do to collections and indexes, written once so every step does it alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from storage.database import Document


async def create_validated(
    db: AsyncDatabase[Document], validators: Mapping[str, Document], plain: Iterable[str] = ()
) -> None:
    """Creates each collection of `validators` with its `$jsonSchema` (strict, refusing), and
    each of `plain` without one. One present already is left as it is: only an earlier
    attempt of the same step, stopped half-way, can have made it."""
    existing = set(await db.list_collection_names())
    for name, schema in validators.items():
        if name not in existing:
            await db.create_collection(
                name,
                validator={"$jsonSchema": schema},
                validationLevel="strict",
                validationAction="error",
            )
    for name in plain:
        if name not in existing:
            await db.create_collection(name)


async def create_indexes(
    db: AsyncDatabase[Document], indexes: Mapping[str, Sequence[IndexModel]]
) -> None:
    # create_indexes is a no-op for an index that already exists with the same definition.
    for name, models in indexes.items():
        await db[name].create_indexes(list(models))


async def drop_indexes(
    db: AsyncDatabase[Document], indexes: Mapping[str, Sequence[IndexModel]]
) -> None:
    for name, models in indexes.items():
        for index in models:
            await db[name].drop_index(index.document["name"])
