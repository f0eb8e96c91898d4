"""Publishing answered questions with their author's consent, the messages waiting, and moderation: hiding a
message, blocking a person's messages."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.replies import Reply, bold, italic
from bot.handlers.comments import NUMBER, SECTION, _author_name, _handled
from bot.runtime.context import Context
from bot.services.comment_notices import quoted
from models import Account, Comment, Consent, Person, Project, Role

CONSENT_WORDS = {"name": Consent.NAME, "nom": Consent.NAME, "anonymous": Consent.ANONYMOUS, "anonyme": Consent.ANONYMOUS,
                 "anonymously": Consent.ANONYMOUS, "anonymement": Consent.ANONYMOUS, "no": Consent.NO, "non": Consent.NO}


@command("publish", fr=("publier",), args=(NUMBER,),
         help=N_("Publish an answered question with its answer: the project's followers, the digest, the public page and "
                 "search get it, once its author agrees."), section=SECTION, role=Role.OBSERVER)
async def publish(ctx: Context, number: str) -> Reply:
    t = ctx.t
    comment = await _handled(ctx, number)
    done = await ctx.services.comments.publish(comment, ctx.person)
    name = await _author_name(ctx, comment)
    if done == "published":
        return (Reply().para("📣 ", t(N_("Message #{number} is published with its answer; the followers are told."), number=comment.number))
                .choice(t(N_("Undo")), f"unpublish {comment.number}"))
    if done == "asked":
        return Reply().para(t(N_("I asked {name} whether it may be published, and under which name; it goes out once they agree."),
                              name=name))
    return Reply().para(t(N_("Still waiting for {name} to agree to publishing message #{number}."), name=name, number=comment.number))


@command("unpublish", fr=("dépublier", "depublier"), args=(NUMBER,),
         help=N_("Take a published question and answer back (the Undo of /publish)."), section=SECTION, role=Role.OBSERVER)
async def unpublish(ctx: Context, number: str) -> Reply:
    comment = await _handled(ctx, number)
    if comment.published_at is None:
        raise UserError(N_("Message #{number} is not published."), number=comment.number)
    await ctx.services.comments.unpublish(comment)
    return Reply().para(ctx.t(N_("Message #{number} is no longer published."), number=comment.number))


@command("consent", fr=("accord",), args=(NUMBER, Arg("answer", "choice", N_("name|anonymous|no"), choices=("name", "anonymous", "no"),
                                                         accept=tuple(CONSENT_WORDS), words={"fr": ("nom", "anonyme", "non")})),
         help=N_("Say whether your question #number may be published with its answer: with your name, anonymously, or not."),
         section=SECTION)
async def consent(ctx: Context, number: str, answer: str) -> Reply:
    t = ctx.t
    comment = await ctx.services.comments.by_number(ctx.need_community(), number)
    choice = CONSENT_WORDS[answer]
    published = await ctx.services.comments.consent(comment, ctx.person, choice)
    if choice == Consent.NO:
        return Reply().para(t(N_("Noted: message #{number} stays between you and the referents."), number=comment.number))
    if published:
        said = t(N_("with your name")) if choice == Consent.NAME else t(N_("anonymously"))
        return Reply().para(t(N_("Thank you: your question #{number} and its answer are published ({how})."), number=comment.number, how=said))
    return Reply().para(t(N_("Noted: if the referents publish message #{number}, it will be {how}."), number=comment.number,
                          how=t(N_("with your name")) if choice == Consent.NAME else t(N_("anonymous"))))


@command("hide", fr=("masquer",), args=(NUMBER,),
         help=N_("Hide a message: it is no longer listed, answered nor published (referents of its project, facilitators)."),
         section=SECTION, role=Role.OBSERVER)
async def hide(ctx: Context, number: str) -> Reply:
    comment = await _handled(ctx, number)
    await ctx.services.comments.hide(comment, True)
    return (Reply().para(ctx.t(N_("Message #{number} is hidden."), number=comment.number))
            .choice(ctx.t(N_("Undo")), f"unhide {comment.number}"))


@command("unhide", fr=("démasquer", "demasquer"), args=(NUMBER,), help=N_("Show a hidden message again (the Undo of /hide)."),
         section=SECTION, role=Role.OBSERVER)
async def unhide(ctx: Context, number: str) -> Reply:
    comment = await _handled(ctx, number)
    await ctx.services.comments.hide(comment, False)
    return Reply().para(ctx.t(N_("Message #{number} is shown again."), number=comment.number))


@command("questions", fr=("questions", "messages"), args=(Arg("project", "project", N_("project"), required=False),),
         help=N_("The messages waiting for an answer: of a project, or of every project you are a referent of."),
         section=SECTION, role=Role.OBSERVER)
async def questions(ctx: Context, project: Project | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if project is not None:
        await ctx.need_referent(project)
        waiting = await ctx.services.comments.open_of(project, limit=20)
    else:
        waiting = await ctx.services.comments.open_for(community, ctx.person, ctx.facilitator)
    if not waiting:
        return Reply().para(t(N_("No message is waiting for an answer.")))
    return await open_list(ctx, waiting, t(N_("Waiting for an answer")))


async def open_list(ctx: Context, waiting: list[Comment], title: str, reply: Reply | None = None) -> Reply:
    """Each message waiting: number, kind, author, how long ago, the text; a choice answers each."""
    t = ctx.t
    reply = reply or Reply()
    rows = []
    for comment in waiting:
        name = await _author_name(ctx, comment)
        rows.append((bold(f"#{comment.number}"), " ", italic(t(comment.kind.label)), " — ",
                     t(N_("{who}, {when}: {text}"), who=name, when=t.ago(ctx.now() - comment.created_at), text=quoted(comment.text, 200))))
    reply.items(rows, title=title)
    for comment in waiting[:5]:
        reply.choice(t(N_("Answer #{number}"), number=comment.number), f"answer {comment.number}")
    return reply


@command("block", fr=("bloquer",), args=(Arg("person", "person", N_("person")),),
         help=N_("Stop forwarding a person's messages to the referents (facilitators)."), section=SECTION, role=Role.FACILITATOR)
async def block(ctx: Context, person: Person) -> Reply:
    t = ctx.t
    if person.id == ctx.person.id:
        raise UserError(N_("You cannot block yourself."))
    done = await ctx.services.comments.block(ctx.need_community(), person, ctx.person)
    said = N_("{name}'s messages are no longer forwarded to the referents.") if done else N_("{name} is blocked already.")
    return Reply().para(t(said, name=person.display_name)).choice(t(N_("Undo")), f"unblock {await _handle(person)}")


@command("unblock", fr=("débloquer", "debloquer"), args=(Arg("person", "person", N_("person")),),
         help=N_("Forward a blocked person's messages again (facilitators)."), section=SECTION, role=Role.FACILITATOR)
async def unblock(ctx: Context, person: Person) -> Reply:
    done = await ctx.services.comments.unblock(ctx.need_community(), person)
    said = N_("{name}'s messages are forwarded again.") if done else N_("{name} is not blocked.")
    return Reply().para(ctx.t(said, name=person.display_name))


async def _handle(person: Person) -> str:
    """An account of the person, as /unblock finds them again."""
    account = await Account.filter(person_id=person.id).order_by("id").first()
    return account.handle if account is not None else person.display_name
