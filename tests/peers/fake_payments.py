"""Fakes of the HelloAsso and Open Collective APIs on loopback, answering with the shapes their documentation publishes.

HelloAsso (API v5, https://api.helloasso.com):
- `POST /oauth2/token`, form-encoded: `grant_type=client_credentials&client_id&client_secret`, or
  `grant_type=refresh_token&client_id&refresh_token` → `{"access_token", "token_type": "bearer", "expires_in",
  "refresh_token"}`; 400 `{"error": "invalid_grant"}` / 401 `{"error": "unauthorized_client"}` otherwise.
- `GET /v5/organizations/{org}/forms/{formType}/{formSlug}/orders?pageSize=&continuationToken=` with
  `Authorization: Bearer <token>` → `{"data": [{"id", "amount": {"total", "vat", "discount"}, "payer": {...}, "date"}],
  "pagination": {"pageSize", "totalCount", "pageIndex", "totalPages", "continuationToken"}}` (amounts in cents); 401
  for an unknown or expired token, 404 for a form that does not exist.

Open Collective (GraphQL API v2, https://api.opencollective.com/graphql/v2):
- `POST /graphql/v2` `{"query", "variables": {"slug"}}`, optional `Personal-Token` header →
  `{"data": {"account": {"slug", "stats": {"totalAmountReceived": {"valueInCents", "currency"}, "contributorsCount"}}}}`,
  or `{"data": {"account": null}, "errors": [{"message": "Account Not Found", "extensions": {"code": "NotFound"}}]}`;
  401 for a wrong token.

Both: `fail(platform, status, times)` makes the next answers fail (429 with `Retry-After`, 500, 502…); every request is
counted, and the most requests in flight at once is kept per platform."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

import pytest
from aiohttp import web

CLIENT_ID = "relais-test-client"
CLIENT_SECRET = "s3cr3t-helloasso-never-logged"
OC_TOKEN = "oc-personal-token-never-logged"


@dataclass
class Form:
    orders: list[int]  # each order's total, in cents


@dataclass
class FakePayments:
    forms: dict[str, Form] = field(default_factory=dict)  # "org/FormType/slug"
    accounts: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # slug → (cents, contributors, currency)
    expires_in: int = 1800
    page_size_max: int = 100
    delay: float = 0.0  # seconds each answer takes (the benchmark's network)
    tokens: dict[str, float] = field(default_factory=dict)  # access token → expiry (monotonic)
    refresh_tokens: set[str] = field(default_factory=set)
    grants: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=lambda: {"helloasso": 0, "opencollective": 0})
    flying: dict[str, int] = field(default_factory=lambda: {"helloasso": 0, "opencollective": 0})
    max_flying: dict[str, int] = field(default_factory=lambda: {"helloasso": 0, "opencollective": 0})
    failures: dict[str, list[int]] = field(default_factory=lambda: {"helloasso": [], "opencollective": []})
    retry_after: int = 120
    url: str = ""

    def fail(self, platform: str, status: int, times: int = 1) -> None:
        self.failures[platform].extend([status] * times)

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now (the server's clock, not Relais')."""
        self.tokens = {t: 0.0 for t in self.tokens}

    async def _enter(self, platform: str) -> web.Response | None:
        self.requests[platform] += 1
        self.flying[platform] += 1
        self.max_flying[platform] = max(self.max_flying[platform], self.flying[platform])
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures[platform]:
            status = self.failures[platform].pop(0)
            headers = {"Retry-After": str(self.retry_after)} if status == 429 else {}
            return web.json_response({"message": "failure"}, status=status, headers=headers)
        return None

    def _leave(self, platform: str) -> None:
        self.flying[platform] -= 1

    async def token(self, request: web.Request) -> web.Response:
        try:
            if failed := await self._enter("helloasso"):
                return failed
            form = await request.post()
            grant = form.get("grant_type")
            if form.get("client_id") != CLIENT_ID:
                return web.json_response({"error": "unauthorized_client"}, status=401)
            if grant == "client_credentials" and form.get("client_secret") != CLIENT_SECRET:
                return web.json_response({"error": "unauthorized_client"}, status=401)
            if grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return web.json_response({"error": "invalid_grant"}, status=400)
                self.refresh_tokens.discard(str(form.get("refresh_token")))
            elif grant != "client_credentials":
                return web.json_response({"error": "unsupported_grant_type"}, status=400)
            self.grants.append(str(grant))
            access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            self.tokens[access] = time.monotonic() + self.expires_in
            self.refresh_tokens.add(refresh)
            return web.json_response({"access_token": access, "token_type": "bearer", "expires_in": self.expires_in,
                                      "refresh_token": refresh})
        finally:
            self._leave("helloasso")

    async def orders(self, request: web.Request) -> web.Response:
        try:
            if failed := await self._enter("helloasso"):
                return failed
            auth = request.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ")
            if not auth.startswith("Bearer ") or self.tokens.get(token, 0.0) < time.monotonic():
                return web.json_response({"message": "Unauthorized"}, status=401)
            m = request.match_info
            form = self.forms.get(f"{m['org']}/{m['kind']}/{m['slug']}")
            if form is None:
                return web.json_response({"message": "Form not found"}, status=404)
            size = max(1, min(int(request.query.get("pageSize", "20")), self.page_size_max))
            start = int(request.query.get("continuationToken") or 0)
            total_pages = max(1, -(-len(form.orders) // size))
            page = form.orders[start:start + size]
            data = [{"id": start + i + 1, "amount": {"total": cents, "vat": 0, "discount": 0}, "date": "2026-11-20T10:00:00+01:00",
                     "payer": {"firstName": "A", "lastName": "B", "email": f"payer{start + i}@example.org"}}
                    for i, cents in enumerate(page)]
            return web.json_response({"data": data, "pagination": {
                "pageSize": size, "totalCount": len(form.orders), "pageIndex": start // size + 1, "totalPages": total_pages,
                "continuationToken": str(start + size)}})
        finally:
            self._leave("helloasso")

    async def graphql(self, request: web.Request) -> web.Response:
        try:
            if failed := await self._enter("opencollective"):
                return failed
            if "Personal-Token" in request.headers and request.headers["Personal-Token"] != OC_TOKEN:
                return web.json_response({"error": {"message": "Invalid Personal Token"}}, status=401)
            body = await request.json()
            if "account(slug: $slug)" not in body.get("query", ""):
                return web.json_response({"errors": [{"message": "Cannot query field"}]}, status=400)
            found = self.accounts.get(body.get("variables", {}).get("slug", ""))
            if found is None:
                return web.json_response({"data": {"account": None}, "errors": [
                    {"message": "Account Not Found", "extensions": {"code": "NotFound"}}]})
            cents, contributors, currency = found
            return web.json_response({"data": {"account": {"slug": body["variables"]["slug"], "stats": {
                "totalAmountReceived": {"valueInCents": cents, "currency": currency}, "contributorsCount": contributors}}}})
        finally:
            self._leave("opencollective")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/oauth2/token", self.token)
        app.router.add_get("/v5/organizations/{org}/forms/{kind}/{slug}/orders", self.orders)
        app.router.add_post("/graphql/v2", self.graphql)
        return app



async def start(fake: FakePayments) -> web.AppRunner:
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    return runner


@pytest.fixture
async def payments():
    """Both fakes on one loopback port: HelloAsso at `url`, Open Collective at `url + /graphql/v2`."""
    fake = FakePayments()
    runner = await start(fake)
    yield fake
    await runner.cleanup()


def settings_for(fake: FakePayments, **more) -> dict:
    """The `payments` settings section pointing at the fakes."""
    return {"helloasso_client_id": CLIENT_ID, "helloasso_client_secret": CLIENT_SECRET, "helloasso_api_url": fake.url,
            "opencollective_token": OC_TOKEN, "opencollective_api_url": f"{fake.url}/graphql/v2", **more}
