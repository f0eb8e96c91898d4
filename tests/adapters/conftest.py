"""The adapters' own fixtures (the peers themselves are the session's, in tests/conftest.py): Matrix members made
on the session's Synapse and closed after the test, and Relais started on it."""

from __future__ import annotations

import pytest

from tests.adapters.matrix_helpers import Member, Relais
from tests.conftest import database_url


@pytest.fixture
async def people(synapse):
    made: list[Member] = []

    async def make(prefix: str) -> Member:
        member = await Member.new(synapse, prefix)
        made.append(member)
        return member
    yield make
    for member in made:
        await member.close()


@pytest.fixture
def relais_on(synapse, tmp_path):
    async def make(invite_allow: str = "", token: bool = False, database: str = "sqlite", **matrix) -> Relais:
        return await Relais.new(synapse, tmp_path, invite_allow, token, database_url(database, tmp_path), **matrix)
    return make
