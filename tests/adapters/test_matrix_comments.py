"""On Matrix (a real Synapse), a reply to what Relais posted in a room — a plain reply or a thread reply — is a comment
for the project's referents; their answer comes back in the room, under the comment (inside its thread)."""

from __future__ import annotations

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Comment, ConsoleInbox, NewsItem, Role
from tests.adapters.matrix_helpers import body, until
from tests.adapters.test_matrix import room_with_relais
from tests.conftest import Dialog


def _rel(event: dict) -> dict:
    return (event.get("content") or {}).get("m.relates_to") or {}


async def test_a_reply_and_a_thread_reply_in_a_room_are_comments_answered_in_place(people, relais_on):
    fac, ana, jules = await people("fac"), await people("ana"), await people("jules")
    async with await relais_on() as relais:
        await relais.grant(fac.user_id, Role.FACILITATOR)
        room = await room_with_relais(fac, relais)
        asked = await fac.say(room, "!lier usine-vivante")
        await fac.reply_to(room, asked, relais.user_id)
        for member in (ana, jules):
            await fac.client.room_invite(room, member.user_id)
            await member.client.join(room)
        app = relais.app
        await Dialog(app, "camille").say("nouvelle dombes-brasserie Le brassin n°2 est en cuve")
        item = await NewsItem.filter(project__slug="dombes-brasserie").order_by("-id").first()
        community = await app.services.people.community("usine-vivante")
        await app.services.prompts.publish_item(community, "news", item.id)
        post = (await ana.wait(lambda: [e for e in ana.notices(room, relais.user_id) if "Le brassin n°2" in body(e)],
                               what="the news in the room"))[0]
        assert fr("Répondez à ce message : les référent·es le reçoivent.") in body(post)

        # A plain reply, as Element sends it (the quote fallback in the body).
        reply = await ana.send(room, {"msgtype": "m.text", "body": f"> <{relais.user_id}> Le brassin…\n\nJe peux prêter des fûts",
                                      "m.relates_to": {"m.in_reply_to": {"event_id": post["event_id"]}}})
        ack = await ana.reply_to(room, reply, relais.user_id)
        assert fr("✉️ Transmis aux référent·es de Brasserie de la Dombes (message n° 1).") in body(ack)
        comment = await Comment.get(number=1)
        assert (comment.text, comment.about_kind, comment.in_group, comment.origin["ref"]) == ("Je peux prêter des fûts", "news", True, reply)

        # A thread reply: its root is Relais' post.
        threaded = await jules.send(room, {"msgtype": "m.text", "body": "Et des bouteilles ?",
                                           "m.relates_to": {"rel_type": "m.thread", "event_id": post["event_id"], "is_falling_back": True,
                                                            "m.in_reply_to": {"event_id": post["event_id"]}}})
        await jules.reply_to(room, threaded, relais.user_id)
        assert (await Comment.get(number=2)).text == "Et des bouteilles ?"

        async def both_told():  # the running delivery loop may hold a notification the test's drain does not see
            await app.delivery.drain()
            told = [row.text for row in await ConsoleInbox.filter(address=ConsoleChat(app.console, "camille").address)]
            return any("Je peux prêter des fûts" in n for n in told) and any("Et des bouteilles ?" in n for n in told)

        await until(both_told, "both comments told to the referent")
        camille = Dialog(app, "camille")
        await camille.say("réponse 1 Merci, passe samedi")
        await camille.say("réponse 2 Oui, une centaine")
        first = (await ana.wait(lambda: [e for e in ana.replies(room, reply, relais.user_id) if "Merci, passe samedi" in body(e)],
                                what="the answer"))[0]
        assert _rel(first).get("rel_type") != "m.thread", "a plain reply is answered as a plain reply"
        second = (await jules.wait(lambda: [e for e in jules.find(room, lambda e: "Oui, une centaine" in body(e))],
                                   what="the answer in the thread"))[0]
        assert _rel(second)["rel_type"] == "m.thread" and _rel(second)["event_id"] == post["event_id"]
        assert _rel(second)["m.in_reply_to"]["event_id"] == threaded, "the answer goes under Jules' message, in the thread"
        # Chatter replying to a member's message is not stored nor answered.
        await jules.send(room, {"msgtype": "m.text", "body": "bien vu", "m.relates_to": {"m.in_reply_to": {"event_id": reply}}})
        await relais.adapter.idle()
        assert await Comment.all().count() == 2


async def test_a_nul_in_a_room_does_not_freeze_the_sync_on_postgresql(people, relais_on):
    """PostgreSQL refuses a NUL in text: the message is stored cleaned, answered, and the next ones too."""
    ana = await people("ana")
    async with await relais_on(invite_allow=ana.user_id, database="postgres") as relais:
        from tests.adapters.test_matrix import room_with_relais as with_relais

        room = await with_relais(ana, relais)
        hostile = await ana.say(room, "!moi\u0000\u0007")
        assert "matrix:" + ana.user_id in body(await ana.reply_to(room, hostile, relais.user_id))
        after = await ana.say(room, "!suivis")
        await ana.reply_to(room, after, relais.user_id)
        await relais.adapter.idle()
        from models import InboundEvent, InboundStatus

        assert await InboundEvent.filter(platform="matrix").exclude(status=InboundStatus.DONE).count() == 0
