"""On Telegram, a reply to what Relais posted is a comment for the project's referents, and their answer comes back
threaded under it: in a private chat and in a group (where Relais records it without repeating it)."""

from __future__ import annotations

from bot.core.i18n import french_typography as fr
from models import Comment, NewsItem, Project
from tests.adapters.test_telegram import relais, said, started  # noqa: F401  (fixtures)
from tests.conftest import Dialog

CIGALE = "I know someone at La Cigale, I can put you in touch"


async def test_a_private_reply_to_news_reaches_the_referent_and_the_answer_comes_back_under_it(relais, emu):
    ana = await started(emu, first_name="Ana", language_code="en")
    await said(emu, ana, "/follow dombes-brasserie")
    await Dialog(relais.app, "camille").say("nouvelle dombes-brasserie Le brassin n°2 est en cuve")
    news = (await emu.wait_for_sent(ana["id"], 3))[-1]  # after the hello and the follow's answer
    assert "Le brassin n°2 est en cuve" in news["text"]
    assert "Reply to this message: the referents get it." in news["text"]  # Telegram threads replies: no /reply here
    before = len(await emu.sent(ana["id"]))
    mine = await emu.send(ana, CIGALE, reply_to_message_id=news["message_id"])
    [ack] = (await emu.wait_for_sent(ana["id"], before + 1))[before:]
    assert ack["text"].startswith("✉️ Sent to the referents of Brasserie de la Dombes (message #1).")
    comment = await Comment.get()
    assert (comment.text, comment.about_kind, comment.in_group) == (CIGALE, "news", False)
    await relais.app.delivery.drain()
    camille = Dialog(relais.app, "camille")
    [told] = await camille.chat.unseen()
    assert fr("💬 Brasserie de la Dombes — commentaire de Ana (#1)") in told and CIGALE in told
    await camille.say("réponse 1 Merci Ana, écris-moi à camille@example.org")
    [answer] = (await emu.wait_for_sent(ana["id"], before + 2))[before + 1:]
    assert answer["text"].startswith("💬 Brasserie de la Dombes — answer from Camille")
    assert answer["reply_to_message_id"] == mine["message_id"], "the answer goes under Ana's message"


async def test_a_reply_in_a_group_is_recorded_not_repeated_and_answered_in_the_group(relais, emu):
    facilitator = await emu.create_user(first_name="Camille", language_code="fr")
    jules = await emu.create_user(first_name="Jules", language_code="fr")
    community = await relais.app.services.people.community("usine-vivante")
    from models import Role

    await relais.app.services.people.grant(community, f"telegram:{facilitator['id']}", Role.FACILITATOR)
    group = await emu.create_group("Usine Vivante", members=[facilitator, jules], added_by=facilitator)
    gid = group["id"]
    await said(emu, facilitator, "/lier@relais_bot usine-vivante", chat_id=gid)
    await Dialog(relais.app, "camille").say("nouvelle dombes-brasserie Le brassin n°2 est en cuve")
    item = await NewsItem.filter(project__slug="dombes-brasserie").order_by("-id").first()
    await relais.app.services.prompts.publish_item(community, "news", item.id)  # the agenda's "send what did not go out"
    posted = (await emu.wait_for_sent(gid, 2))[1]
    assert "Le brassin n°2 est en cuve" in posted["text"]
    assert fr("Répondez à ce message : les référent·es le reçoivent.") in posted["text"]
    before = len(await emu.sent(gid))
    mine = await emu.send(jules, "Je peux prêter des fûts", chat_id=gid, reply_to_message_id=posted["message_id"])
    [ack] = (await emu.wait_for_sent(gid, before + 1))[before:]
    assert ack["text"].startswith(fr("✉️ Transmis aux référent·es de Brasserie de la Dombes (message n° 1)."))
    assert "Je peux prêter des fûts" not in ack["text"], "Relais does not repeat a comment left in the group"
    comment = await Comment.get()
    assert comment.in_group and comment.origin["chat"] == str(gid) and comment.project_id == (await Project.get(slug="dombes-brasserie")).id
    await relais.app.delivery.drain()
    [told] = await Dialog(relais.app, "camille").chat.unseen()
    assert fr("Écrit dans") in told and "Je peux prêter des fûts" in told
    await Dialog(relais.app, "camille").say("réponse 1 Avec plaisir, passe samedi")
    [answer] = (await emu.wait_for_sent(gid, before + 2))[before + 1:]
    assert "Avec plaisir, passe samedi" in answer["text"]
    assert answer["reply_to_message_id"] == mine["message_id"], "the answer is threaded under Jules' message in the group"
    # Chatter that replies to someone else's message is still none of Relais' business.
    await emu.send(jules, "ok", chat_id=gid, reply_to_message_id=mine["message_id"])
    await said(emu, jules, "/aide@relais_bot", chat_id=gid)
    assert await Comment.all().count() == 1
