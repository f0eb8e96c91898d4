"""What each channel keeps about its own accounts outside the person's rows (mail sent and received, an address's
bounces, console notes): the channel's module registers how to describe it and how to erase it, so `mydata` and
`forget me` ask every channel the same way instead of naming platforms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

Describe = Callable[[list[str]], Awaitable[dict[str, dict[str, Any]]]]  # addresses → address → what is kept
Erase = Callable[[Any, list[str]], Awaitable[None]]  # (transaction, addresses)


@dataclass(frozen=True)
class ChannelData:
    describe: Describe
    erase: Erase


STORES: dict[str, ChannelData] = {}


def register(platform: str, describe: Describe, erase: Erase) -> None:
    STORES[platform] = ChannelData(describe, erase)


def by_platform(accounts) -> dict[str, list[str]]:
    """The accounts' addresses grouped by the channel that keeps data about them."""
    out: dict[str, list[str]] = {}
    for account in accounts:
        if account.platform in STORES:
            out.setdefault(account.platform, []).append(account.address)
    return out


async def describe(accounts) -> dict[tuple[str, str], dict[str, Any]]:
    """(platform, address) → what its channel keeps about it, for the person's export."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for platform, addresses in by_platform(accounts).items():
        for address, kept in (await STORES[platform].describe(addresses)).items():
            out[(platform, address)] = kept
    return out


async def erase(tx, accounts) -> None:
    for platform, addresses in by_platform(accounts).items():
        await STORES[platform].erase(tx, addresses)
