"""Members talk back: a reply to what Relais posted is a comment for the people who can answer; questions, offers of
help, answers going back, publishing with consent, and moderation."""

from __future__ import annotations

from bot.core.choices import conversation
from bot.core.commands import Arg, answers, command
from bot.core.conversation import ANSWER_HINT
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.replies import Question, Reply, Topic
from bot.runtime.context import Context
from bot.services.comment_notices import quoted
from bot.services.comments import Blocked, Item, _topic_of
from models import Account, Comment, CommentKind, Community, Person, Project, Role

SECTION = N_("Talking to the referents")
PROJECT = Arg("project", "project", N_("project"))
NUMBER = Arg("number", "word", N_("number"), max_length=12)


def origin_of(ctx: Context) -> dict:
    """Where the answer goes back: the account, the group and the message it was written as (threaded replies)."""
    incoming = ctx.incoming
    origin: dict = {"platform": incoming.platform, "address": incoming.address}
    if incoming.chat:
        origin["chat"] = incoming.chat
    if incoming.message_id:
        origin["ref"] = incoming.message_id
    if incoming.thread:
        origin["thread"] = incoming.thread
    if incoming.replying_to:  # a mail's References, oldest first, for the answer's own
        origin["references"] = list(reversed(incoming.replying_to))[-10:]
    return origin


async def _community_of(ctx: Context, community_id: int) -> Community:
    """The item's community, where the person must be a member to write about it."""
    community = await ctx.services.people.community_by_id(community_id)
    membership = await ctx.services.people.membership(ctx.person, community)
    if membership is None:
        raise UserError(N_("You are not a member of {community}. Type /join {slug} first."), community=community.name, slug=community.slug)
    ctx.community, ctx.membership = community, membership
    return community


async def leave(ctx: Context, community: Community, kind: CommentKind, text: str, item: Item | None = None,
                project: Project | None = None) -> Reply:
    """Store the comment, tell the people who answer, and say to whom it went."""
    t, comments = ctx.t, ctx.services.comments
    try:
        comment = await comments.add(community, ctx.person, kind, text, origin_of(ctx), item=item, project=project)
    except Blocked:
        return Reply(error=True).para(t(N_("Your message was not forwarded: the facilitators of {community} no longer forward "
                                           "your messages."), community=community.name))
    target = item.project if item is not None else project
    referents = [p for p in (await ctx.services.projects.referents(target) if target else []) if p.id != ctx.person.id]
    if target is not None and referents:
        said = t(N_("Sent to the referents of {project} (message #{number})."), project=target.title, number=comment.number)
    elif item is not None and item.kind == "idea":
        said = t(N_("Sent to the idea's proposer and the facilitators of {community} (message #{number})."), community=community.name,
                 number=comment.number)
    else:
        said = t(N_("Sent to the facilitators of {community} (message #{number})."), community=community.name, number=comment.number)
    reply = Reply().para("✉️ ", said)
    if not comment.in_group:
        reply.para(t(N_("Their answer will come back here.")))
    return reply.choice(t(N_("Undo")), f"withdraw {comment.number}")


async def on_topic(ctx: Context, topic: Topic, text: str) -> Reply:
    """A reply to something Relais posted: the answer to a prompt, a referent's answer to a message, else a comment."""
    kind, item_id, _ = topic
    if kind == "prompt":
        return await _prompt_answer(ctx, item_id, text)
    if kind == "comment":
        comment = await Comment.get_or_none(id=item_id)
        if comment is None:
            raise UserError(N_("That message no longer exists."))
        if comment.author_id != ctx.person.id and await ctx.services.comments.may_handle(comment, ctx.person):
            await _community_of(ctx, comment.community_id)
            return await _answer(ctx, comment, text)
        topic = _topic_of(comment) or ("project", 0, 0)
    item = await ctx.services.comments.item(topic)
    if item is None:
        raise UserError(N_("What you replied to no longer exists. Write to the referents with /question <project> <text>."))
    community = await _community_of(ctx, item.community_id)
    return await leave(ctx, community, CommentKind.COMMENT, text, item=item)


async def _prompt_answer(ctx: Context, prompt_id: int, text: str) -> Reply:
    """A reply to a prompt answers it, as the next message would (the question waiting goes on from its stage)."""
    conversations = ctx.services.conversations
    pending = await conversations.pending(ctx.person.id)
    data = dict(pending.data) if pending is not None and pending.handler == "prompt" and int(pending.data.get("prompt", 0)) == prompt_id \
        else {"prompt": prompt_id, "stage": "all"}
    prompt = await ctx.services.prompts.open_prompt(prompt_id, ctx.person)
    await _community_of(ctx, prompt.community_id)
    reply = await ctx.registry.answers["prompt"].handler(ctx, text, data)
    if reply.question is None and pending is not None and pending.handler == "prompt":
        await conversations.drop(ctx.person.id)
    return reply


@answers("reply")
async def reply_to_message(ctx: Context, text: str, data: dict) -> Reply:
    """A reply (Telegram, Matrix, a mail) to a message of Relais: about the first item it spoke of."""
    kind, item_id, project_id = data["topics"][0]
    return await on_topic(ctx, (str(kind), int(item_id), int(project_id)), text)


@command("reply", fr=("répondre", "repondre"), args=(Arg("text", "text", N_("[number] text")),),
         help=N_("Write to the referents about what I just showed you (a news item, a next step…): /reply <text>, or "
                 "/reply 2 <text> for its item 2. Replying to my message does the same."), section=SECTION)
async def reply(ctx: Context, text: str) -> Reply:
    accounts = await Account.filter(person_id=ctx.person.id).values_list("platform", "address")
    items = await ctx.services.topics.latest(ctx.where, tuple(conversation(str(p), str(a)) for p, a in accounts))
    if not items:
        raise UserError(N_("There is nothing to reply to here. Write to a project's referents with /question <project> <text>."))
    first, _, rest = text.strip().partition(" ")
    index = 1
    if first.isascii() and first.isdigit() and len(first) <= 3 and rest.strip() and len(items) > 1:
        index, text = int(first), rest
        if not 1 <= index <= len(items):
            raise UsageError(N_("There is no item {number} to reply to: choose from 1 to {count}."), number=index, count=len(items))
    return await on_topic(ctx, items[index - 1], text)


@command("question", fr=("question", "demander"), args=(PROJECT, Arg("text", "text", N_("question"))),
         help=N_("Ask a project's referents a question; their answer comes back to you."), section=SECTION, role=Role.OBSERVER)
async def question(ctx: Context, project: Project, text: str) -> Reply:
    return await leave(ctx, ctx.need_community(), CommentKind.QUESTION, text, project=project)


@command("help-out", fr=("aider", "je-peux-aider"), en=("offer-help",), args=(PROJECT, Arg("text", "text", N_("what you can do"), required=False)),
         help=N_("Tell a project's referents you can help (and how); they answer you."), section=SECTION, role=Role.OBSERVER)
async def help_out(ctx: Context, project: Project, text: str | None) -> Reply:
    return await leave(ctx, ctx.need_community(), CommentKind.OFFER, text or ctx.t(N_("I can help.")), project=project)


@command("contact", fr=("contacter",), args=(Arg("text", "text", N_("message")),),
         help=N_("Write to the facilitators of your community."), section=SECTION, role=Role.OBSERVER)
async def contact(ctx: Context, text: str) -> Reply:
    return await leave(ctx, ctx.need_community(), CommentKind.CONTACT, text)


async def _handled(ctx: Context, number: str) -> Comment:
    """Message `number` of the community, which the person may answer, hide or publish."""
    comment = await ctx.services.comments.by_number(ctx.need_community(), number)
    if not await ctx.services.comments.may_handle(comment, ctx.person):
        raise UserError(N_("Only the referents of its project and the facilitators can do that with message #{number}."),
                        number=comment.number)
    return comment


@command("answer", fr=("réponse", "reponse", "répondre-à"), args=(NUMBER, Arg("text", "text", N_("answer"), required=False)),
         help=N_("Answer message #number (a question, a comment, an offer); it goes back to its author where they wrote. "
                 "Without text, I ask for it."), section=SECTION, role=Role.OBSERVER)
async def answer(ctx: Context, number: str, text: str | None) -> Reply:
    comment = await _handled(ctx, number)
    if not text:
        author = await _author_name(ctx, comment)
        return Reply().add(Question(ctx.t(N_("Your answer to {name} (#{number}: « {text} »)?"), name=author, number=comment.number,
                                          text=quoted(comment.text, 160)), "comment answer", {"comment": comment.id},
                                    hint=ctx.t(ANSWER_HINT)))
    return await _answer(ctx, comment, text)


@answers("comment answer")
async def answer_given(ctx: Context, text: str, data: dict) -> Reply:
    comment = await Comment.get_or_none(id=int(data["comment"]))
    if comment is None:
        raise UserError(N_("That message no longer exists."))
    if not await ctx.services.comments.may_handle(comment, ctx.person):
        raise UserError(N_("Only the referents of its project and the facilitators can do that with message #{number}."),
                        number=comment.number)
    return await _answer(ctx, comment, text)


async def _answer(ctx: Context, comment: Comment, text: str) -> Reply:
    t = ctx.t
    if comment.hidden_at is not None:
        raise UserError(N_("Message #{number} is hidden: show it again first (/unhide {number})."), number=comment.number)
    reached = await ctx.services.comments.answer(comment, ctx.person, text)
    name = await _author_name(ctx, comment)
    reply = Reply().para("✅ ", t(N_("Your answer to {name} (#{number}) is on its way."), name=name, number=comment.number)
                         if reached else t(N_("Your answer to #{number} is kept; its author erased their data, so it reaches nobody."),
                                           number=comment.number))
    if comment.project_id is not None and comment.published_at is None:
        reply.para(t(N_("Useful to others? Publish the question with your answer (its author is asked first).")))
        reply.choice(t(N_("Publish")), f"publish {comment.number}")
    return reply


async def _author_name(ctx: Context, comment: Comment) -> str:
    person = await Person.get_or_none(id=comment.author_id) if comment.author_id else None
    return person.display_name if person and person.display_name else ctx.t(N_("a former member"))


@command("withdraw", fr=("retirer",), args=(NUMBER,),
         help=N_("Take back your message #number before it is answered (the Undo of /question)."), section=SECTION)
async def withdraw(ctx: Context, number: str) -> Reply:
    t = ctx.t
    comment = await ctx.services.comments.by_number(ctx.need_community(), number)
    if comment.author_id != ctx.person.id:
        raise UserError(N_("Only the author of message #{number} can say that."), number=comment.number)
    if comment.answered_at is not None:
        raise UserError(N_("Message #{number} is answered already: it stays."), number=comment.number)
    sent = await ctx.services.comments.withdraw(comment)
    reply = Reply().para(t(N_("Message #{number} is taken back."), number=comment.number))
    if sent:
        reply.para(t.n("{count} person had already received it.", "{count} people had already received it.", sent))
    return reply
