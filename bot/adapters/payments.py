"""The payment platforms' HTTP clients: HelloAsso (API v5, OAuth2 client credentials) and Open Collective (GraphQL API
v2), read by bot/services/money_sync.py through `PaymentGateway`. Credentials come from the settings; neither they nor
the tokens are ever stored or logged."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import AsyncIterator, Awaitable, Callable, Protocol
from urllib.parse import quote

import aiohttp

from bot.services.money_sync import Failed, Gone, Limited, Reading, Refused
from bot.services.pledges import MAX_AMOUNT

MAX_PAGES = 200  # of 100 orders: 20,000 orders per form, far beyond a community campaign
MAX_BACKERS = 10_000_000


class Platform(Protocol):
    name: str

    async def read(self, session: aiohttp.ClientSession, ref: str) -> Reading: ...


def _retry_after(response: aiohttp.ClientResponse) -> float:
    try:
        return max(1.0, min(float(response.headers.get("Retry-After", "60")), 86_400.0))
    except ValueError:
        return 60.0


def _bounded(value, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
        raise Failed("a figure out of bounds")
    return int(value)


class HelloAsso:
    """`POST /oauth2/token` (client_credentials, then refresh_token) and
    `GET /v5/organizations/{org}/forms/{formType}/{formSlug}/orders?pageSize=100[&continuationToken=…]`: the form's
    orders (`data[].amount.total` in cents), `pagination.totalCount` orders, pages until `pageIndex >= totalPages`."""

    name = "helloasso"

    def __init__(self, base_url: str, client_id: str, client_secret: str, clock: Callable[[], datetime]):
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._secret = client_secret
        self.clock = clock
        self._token = ""
        self._refresh = ""
        self._expires: datetime | None = None
        self._lock = asyncio.Lock()

    async def _grant(self, session: aiohttp.ClientSession, force: bool = False) -> str:
        async with self._lock:  # one token request for the whole batch, not one per form
            now = self.clock()
            if self._token and not force and self._expires is not None and now < self._expires:
                return self._token
            forms = []
            if self._refresh and not force:
                forms.append({"grant_type": "refresh_token", "client_id": self._client_id, "refresh_token": self._refresh})
            forms.append({"grant_type": "client_credentials", "client_id": self._client_id, "client_secret": self._secret})
            for form in forms:
                async with session.post(f"{self.base_url}/oauth2/token", data=form) as response:
                    if response.status == 429:
                        raise Limited(_retry_after(response))
                    if response.status >= 500:
                        raise Failed(f"token: HTTP {response.status}")
                    if response.status != 200:
                        continue  # a refresh token no longer valid: the client credentials next
                    body = await response.json(content_type=None)
                token = body.get("access_token") if isinstance(body, dict) else None
                if not isinstance(token, str) or not token:
                    raise Failed("token: no access_token")
                expires_in = body.get("expires_in", 1800)
                expires_in = expires_in if isinstance(expires_in, (int, float)) and 0 < expires_in < 86_400 else 1800
                self._token, self._refresh = token, str(body.get("refresh_token") or "")
                self._expires = now + timedelta(seconds=expires_in) - timedelta(seconds=min(60, expires_in / 2))
                return token
            self._token = self._refresh = ""
            raise Refused("token refused")

    async def read(self, session: aiohttp.ClientSession, ref: str) -> Reading:
        org, form_type, slug = ref.split("/")
        url = f"{self.base_url}/v5/organizations/{quote(org)}/forms/{quote(form_type)}/{quote(slug)}/orders"
        raised, count, pages, continuation = 0, 0, 0, ""
        renewed = False
        while pages < MAX_PAGES:
            token = await self._grant(session)
            params = {"pageSize": "100", **({"continuationToken": continuation} if continuation else {})}
            async with session.get(url, params=params, headers={"Authorization": f"Bearer {token}"}) as response:
                if response.status in (401, 403):
                    if renewed:
                        raise Refused(f"HTTP {response.status}")
                    renewed = True  # an expired or revoked token: one new token, then the same page again
                    await self._grant(session, force=True)
                    continue
                if response.status == 404:
                    raise Gone()
                if response.status == 429:
                    raise Limited(_retry_after(response))
                if response.status != 200:
                    raise Failed(f"HTTP {response.status}")
                body = await response.json(content_type=None)
            pages += 1
            try:
                for order in body["data"]:
                    raised += _bounded(order["amount"]["total"], MAX_AMOUNT)
                paging = body["pagination"]
                count = _bounded(paging["totalCount"], MAX_BACKERS)
                index, total = int(paging["pageIndex"]), int(paging["totalPages"])
                continuation = str(paging.get("continuationToken") or "")
            except (KeyError, TypeError, ValueError) as exc:
                raise Failed("an answer not shaped as documented") from exc
            if index >= total or not body["data"] or not continuation:
                return Reading(min(raised, MAX_AMOUNT), count, pages=pages)
        raise Failed("too many pages")


OC_QUERY = ("query($slug: String) { account(slug: $slug) { slug stats { "
            "totalAmountReceived { valueInCents currency } contributorsCount } } }")


class OpenCollective:
    """`POST /graphql/v2` with `Personal-Token` (when set): `account(slug:) { stats { totalAmountReceived { valueInCents
    currency } contributorsCount } }`; an unknown account answers `account: null` with a NotFound error."""

    name = "opencollective"

    def __init__(self, url: str, token: str):
        self.url = url
        self._token = token

    async def read(self, session: aiohttp.ClientSession, ref: str) -> Reading:
        headers = {"Personal-Token": self._token} if self._token else {}
        async with session.post(self.url, json={"query": OC_QUERY, "variables": {"slug": ref}}, headers=headers) as response:
            if response.status in (401, 403):
                raise Refused(f"HTTP {response.status}")
            if response.status == 429:
                raise Limited(_retry_after(response))
            if response.status != 200:
                raise Failed(f"HTTP {response.status}")
            body = await response.json(content_type=None)
        try:
            account = body["data"]["account"]
            if account is None:
                raise Gone()
            stats = account["stats"]
            amount = stats["totalAmountReceived"]
            return Reading(_bounded(amount["valueInCents"], MAX_AMOUNT), _bounded(stats["contributorsCount"], MAX_BACKERS),
                           str(amount.get("currency") or "EUR")[:3])
        except (KeyError, TypeError) as exc:
            raise Failed("an answer not shaped as documented") from exc



class PaymentGateway:
    """The configured platforms; `open()` gives one batch of reads a shared HTTP session (at most `concurrency`
    connections to each host), network errors and timeouts turned into `Failed`."""

    def __init__(self, platforms: list[Platform], concurrency: int = 4, timeout: float = 20.0):
        self.platforms = {p.name: p for p in platforms}
        self.names = frozenset(self.platforms)
        self.concurrency = concurrency
        self.timeout = timeout

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Callable[[str, str], Awaitable[Reading]]]:
        connector = aiohttp.TCPConnector(limit_per_host=self.concurrency)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout), connector=connector) as session:
            async def read(platform: str, ref: str) -> Reading:
                try:
                    return await self.platforms[platform].read(session, ref)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                    raise Failed(type(exc).__name__) from None
            yield read


def gateway_from(settings, clock: Callable[[], datetime]) -> PaymentGateway:
    """From the `payments` settings section (bot/config.py): HelloAsso when its client is set, Open Collective always
    (its public data needs no token)."""
    platforms: list[Platform] = []
    if settings.helloasso_client_id:
        platforms.append(HelloAsso(settings.helloasso_api_url, settings.helloasso_client_id,
                                   settings.helloasso_client_secret.get_secret_value(), clock))
    platforms.append(OpenCollective(settings.opencollective_api_url, settings.opencollective_token.get_secret_value()))
    return PaymentGateway(platforms, settings.money_sync_concurrency)
