"""The Synapse peer works with matrix-nio's real AsyncClient, including per-user 429s."""

from __future__ import annotations

import contextlib
import time
from typing import AsyncIterator, Callable

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    JoinResponse,
    LoginResponse,
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomMessageText,
    RoomSendError,
    RoomSendResponse,
    SyncResponse,
)
from nio.event_builders import EnableEncryptionBuilder

from tests.peers.synapse import HttpError, RegisteredUser, SynapseServer

PASSWORD = "correct horse battery staple"


@contextlib.asynccontextmanager
async def nio_client(
    server: SynapseServer, user: RegisteredUser, config: AsyncClientConfig | None = None
) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(server.base_url, user.user_id, config=config)
    client.restore_login(user.user_id, user.device_id, user.access_token)
    try:
        yield client
    finally:
        await client.close()


async def sync_until(
    client: AsyncClient, done: Callable[[SyncResponse], bool], timeout_s: float = 15.0
) -> SyncResponse:
    """Long-poll /sync until `done` accepts a response."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        resp = await client.sync(timeout=1000)
        assert isinstance(resp, SyncResponse), resp
        if done(resp):
            return resp
    raise AssertionError(f"sync condition not met within {timeout_s}s")


async def new_user(server: SynapseServer, prefix: str) -> RegisteredUser:
    return await server.register(server.fresh_localpart(prefix), PASSWORD)


async def test_register_and_login_helpers(synapse: SynapseServer) -> None:  # noqa: F811
    user = await new_user(synapse, "dave")
    assert user.user_id.endswith(f":{synapse.server_name}")
    assert user.access_token and user.device_id

    again = await synapse.login(user.user_id, PASSWORD)
    assert again.user_id == user.user_id
    assert again.access_token != user.access_token

    with pytest.raises(HttpError) as exc_info:
        await synapse.login(user.user_id, "wrong password")
    assert exc_info.value.status == 403
    assert exc_info.value.errcode == "M_FORBIDDEN"


async def test_invite_join_and_message_round_trip(synapse: SynapseServer) -> None:  # noqa: F811
    alice = await new_user(synapse, "alice")
    bob = await new_user(synapse, "bob")

    async with nio_client(synapse, alice) as alice_client:
        # Bob logs in through nio itself, the path the bot takes with a password.
        bob_client = AsyncClient(synapse.base_url, bob.user_id)
        try:
            login = await bob_client.login(PASSWORD, device_name="relais-test")
            assert isinstance(login, LoginResponse), login

            created = await alice_client.room_create(name="round trip", invite=[bob.user_id])
            assert isinstance(created, RoomCreateResponse), created
            room_id = created.room_id

            await sync_until(bob_client, lambda r: room_id in r.rooms.invite)
            joined = await bob_client.join(room_id)
            assert isinstance(joined, JoinResponse), joined

            await sync_until(
                alice_client,
                lambda r: room_id in alice_client.rooms
                and bob.user_id in alice_client.rooms[room_id].users,
            )
            sent = await alice_client.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": "bonjour bob"}
            )
            assert isinstance(sent, RoomSendResponse), sent

            def has_message(resp: SyncResponse) -> bool:
                room = resp.rooms.join.get(room_id)
                return room is not None and any(
                    isinstance(ev, RoomMessageText)
                    and ev.event_id == sent.event_id
                    and ev.body == "bonjour bob"
                    and ev.sender == alice.user_id
                    for ev in room.timeline.events
                )

            await sync_until(bob_client, has_message)
        finally:
            await bob_client.close()


async def test_ratelimit_override_gives_one_user_429(synapse: SynapseServer) -> None:  # noqa: F811
    noisy = await new_user(synapse, "noisy")
    quiet = await new_user(synapse, "quiet")
    # nio retries a 429 forever by default, sleeping retry_after_ms each time;
    # max_limit_exceeded=0 hands the first 429 back to the caller instead.
    no_retry = AsyncClientConfig(max_limit_exceeded=0)

    async with nio_client(synapse, noisy, no_retry) as noisy_client, nio_client(
        synapse, quiet, no_retry
    ) as quiet_client:
        created = await noisy_client.room_create(invite=[quiet.user_id])
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
        assert isinstance(await quiet_client.join(room_id), JoinResponse)

        await synapse.set_ratelimit(noisy.user_id, messages_per_second=1, burst_count=1)
        assert await synapse.get_ratelimit(noisy.user_id) == {
            "messages_per_second": 1,
            "burst_count": 1,
        }
        try:
            results = [
                await noisy_client.room_send(
                    room_id, "m.room.message", {"msgtype": "m.text", "body": f"spam {i}"}
                )
                for i in range(3)
            ]
            limited = [r for r in results if isinstance(r, RoomSendError)]
            assert limited, results
            for err in limited:
                assert err.status_code == "M_LIMIT_EXCEEDED", err
                assert err.retry_after_ms is not None and err.retry_after_ms > 0, err
                assert err.transport_response is not None
                assert err.transport_response.status == 429

            # The override is per user: everyone else keeps the high server limits.
            for i in range(10):
                ok = await quiet_client.room_send(
                    room_id, "m.room.message", {"msgtype": "m.text", "body": f"calm {i}"}
                )
                assert isinstance(ok, RoomSendResponse), ok
        finally:
            await synapse.clear_ratelimit(noisy.user_id)

        assert await synapse.get_ratelimit(noisy.user_id) == {}
        for i in range(10):
            ok = await noisy_client.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": f"after {i}"}
            )
            assert isinstance(ok, RoomSendResponse), ok


async def test_nio_default_config_retries_429_transparently(
    synapse: SynapseServer,  # noqa: F811
) -> None:
    user = await new_user(synapse, "patient")
    async with nio_client(synapse, user) as client:
        created = await client.room_create()
        assert isinstance(created, RoomCreateResponse), created

        seen: list[ErrorResponse] = []

        async def on_error(resp: ErrorResponse) -> None:
            seen.append(resp)

        # nio runs response callbacks for each 429 it swallows before retrying;
        # it is the only trace a caller gets of having been rate limited.
        client.add_response_callback(on_error, ErrorResponse)

        await synapse.set_ratelimit(user.user_id, messages_per_second=1, burst_count=1)
        try:
            started = time.monotonic()
            for i in range(2):
                resp = await client.room_send(
                    created.room_id, "m.room.message", {"msgtype": "m.text", "body": f"m{i}"}
                )
                assert isinstance(resp, RoomSendResponse), resp
            elapsed = time.monotonic() - started
        finally:
            await synapse.clear_ratelimit(user.user_id)

    assert seen and all(e.status_code == "M_LIMIT_EXCEEDED" for e in seen), seen
    # The second send waited out retry_after_ms (plus Synapse's own 0.5 s pause
    # before it answers 429) instead of failing.
    assert elapsed >= 0.5, elapsed


async def test_encrypted_room_from_initial_state(synapse: SynapseServer) -> None:  # noqa: F811
    user = await new_user(synapse, "crypto")
    async with nio_client(synapse, user) as client:
        created = await client.room_create(
            name="secret", initial_state=[EnableEncryptionBuilder().as_dict()]
        )
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id

        state = await client.room_get_state_event(room_id, "m.room.encryption")
        assert isinstance(state, RoomGetStateEventResponse), state
        assert state.content["algorithm"] == "m.megolm.v1.aes-sha2"

        await sync_until(
            client, lambda r: room_id in client.rooms and client.rooms[room_id].encrypted
        )


async def test_server_is_local_only(synapse: SynapseServer) -> None:  # noqa: F811
    assert synapse.running
    assert synapse.base_url.startswith("http://127.0.0.1:")
    # No federation listener: the client port does not serve the federation API.
    with pytest.raises(HttpError) as exc_info:
        await synapse.request("GET", "/_matrix/federation/v1/version")
    assert exc_info.value.status in (400, 404)
