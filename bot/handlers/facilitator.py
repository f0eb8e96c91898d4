"""Facilitators' commands: add projects, set status, referents and roles, bind a chat."""

from __future__ import annotations

from bot.core.commands import Arg, answers, command, fold
from bot.core.conversation import ANSWER_HINT
from bot.core.errors import Ambiguous, UserError
from bot.core.i18n import N_
from bot.core.replies import Choice, Question, Reply
from bot.runtime.context import Context
from models import Account, ChatBinding, Community, Person, Project, Role
from models.communities import ROLE_WORDS
from models.projects import STATUS_WORDS

SECTION = N_("Facilitators")
PROJECT = Arg("project", "project", N_("project"))
WHO = "referent who"  # the answer handler of « who will be a referent? »
# Words that follow a command's first word (`prompt auto`, `sheet csv`): no project may be named so.
RESERVED = {"add", "ajouter", "create", "creer", "status", "statut", "etat", "delete", "supprimer", "retirer", "auto", "confirm",
            "confirmer", "again", "reprendre", "list", "liste", "csv", "schedule", "horaire", "publish", "publier", "poll",
            "sondage", "cancel", "annuler"}
STATUS_BY_WORD = {fold(k): v for k, v in STATUS_WORDS.items()}
ROLE_BY_WORD = {fold(k): Role.parse(k) for k in ROLE_WORDS}


@command("project add", fr=("projet ajouter", "projet créer"), en=("project create",),
         args=(Arg("slug", "word", N_("short-name")), Arg("title", "word", N_("title")), Arg("summary", "text", N_("summary"), required=False)),
         help=N_("Add a project: /project add my-project \"My project\" What it is about."), section=SECTION,
         role=Role.FACILITATOR, group=False)
async def project_add(ctx: Context, slug: str, title: str, summary: str | None) -> Reply:
    t = ctx.t
    if slug.lower() in RESERVED:
        raise UserError(N_("“{slug}” cannot be a project name: use 2 to 63 lower-case letters, digits and dashes."), slug=slug)
    community = ctx.need_community()
    project = await ctx.services.projects.create(community, slug, title, summary or "")
    return (Reply().para(t(N_("Project {title} added to {community}."), title=project.title, community=community.name))
            .para(t(N_("Next: name its referents with /referent add {slug} <person>, and its next step with /nextstep {slug} <text>."), slug=project.slug))
            .choice(t(N_("See the project")), f"project {project.slug}"))


@command("project status", fr=("projet statut", "projet état"),
         args=(PROJECT, Arg("status", "choice", N_("status"), choices=("idea", "active", "funding", "done"), accept=tuple(STATUS_WORDS),
                                words={"fr": ("idée", "actif", "financement", "terminé")})),
         help=N_("Set the status of a project: idea, active, funding or done."), section=SECTION,
         role=Role.FACILITATOR, group=False)
async def project_status(ctx: Context, project: Project, status: str) -> Reply:
    t = ctx.t
    new = STATUS_BY_WORD[status]
    previous = await ctx.services.projects.set_status(project, new)
    return (Reply().para(t(N_("{project} is now: {status}."), project=project.title, status=t(new.label)))
            .choice(t(N_("Undo")), f"project status {project.slug} {previous.value}"))


@command("referent add", fr=("référent ajouter",), args=(PROJECT, Arg("person", "person", N_("person"), required=False)),
         help=N_("Make someone a referent of a project; without a name, I ask who."), section=SECTION, role=Role.FACILITATOR,
         group=False)
async def referent_add(ctx: Context, project: Project, person: Person | None) -> Reply:
    t = ctx.t
    if person is None:  # « Ajouter un·e référent·e » from the agenda: who, asked as a question
        return Reply().add(Question(t(N_("Who will be a referent of {project}? Their name, or an account like console:ana or "
                                         "email:ana@example.org."), project=project.title), WHO, {"project": project.id},
                                    hint=t(ANSWER_HINT), days=1))
    pending = await ctx.services.conversations.pending(ctx.person.id)
    if pending is not None and pending.handler == WHO:  # named by a choice while the question waited: answered
        await ctx.services.conversations.drop(ctx.person.id)
    if not await ctx.services.projects.add_referent(project, person):
        return Reply().para(t(N_("{name} is already a referent of {project}."), name=person.display_name, project=project.title))
    community = ctx.need_community()
    membership = await ctx.services.people.membership(person, community)
    if membership is None or membership.role < Role.REFERENT:
        await ctx.services.people.set_role(person, community, Role.REFERENT)
    return (Reply().para(t(N_("{name} is now a referent of {project}."), name=person.display_name, project=project.title))
            .choice(t(N_("Undo")), f"referent remove {project.slug} {await _handle(person)}"))


@answers(WHO)
async def referent_who(ctx: Context, text: str, data: dict) -> Reply:
    """The name given for a new referent: a person of the community (a name several people have is asked about)."""
    if ctx.role is None or ctx.role < Role.FACILITATOR:
        raise UserError(N_("Only a {role} of {community} can do that."), role=ctx.t(Role.FACILITATOR.label),
                        community=ctx.need_community().name)
    project = await ctx.services.projects.by_id(int(data["project"]))
    try:
        person = await ctx.services.people.find_member(ctx.need_community(), text.strip())
    except Ambiguous as exc:
        raise UserError(exc.message, choices=[Choice(label, f"referent add {project.slug} {value}") for label, value in exc.options],
                        **exc.params) from None
    return await referent_add(ctx, project, person)


@command("referent remove", fr=("référent retirer", "référent enlever"), args=(PROJECT, Arg("person", "person", N_("person"))),
         help=N_("Remove a referent from a project."), section=SECTION, role=Role.FACILITATOR, group=False)
async def referent_remove(ctx: Context, project: Project, person: Person) -> Reply:
    t = ctx.t
    if not await ctx.services.projects.remove_referent(project, person):
        return Reply().para(t(N_("{name} is not a referent of {project}."), name=person.display_name, project=project.title))
    return (Reply().para(t(N_("{name} is no longer a referent of {project}."), name=person.display_name, project=project.title))
            .choice(t(N_("Undo")), f"referent add {project.slug} {await _handle(person)}"))


async def _handle(person: Person) -> str:
    """How an Undo names the person: their first account (every person has one)."""
    account = await Account.filter(person_id=person.id).order_by("id").first()
    return account.handle if account else person.display_name


@command("role", fr=("rôle",), args=(Arg("person", "person", N_("person")),
                                    Arg("role", "choice", N_("role"), choices=("observer", "member", "referent", "facilitator"), accept=ROLE_WORDS,
                                        words={"fr": ("observateur", "membre", "référent", "facilitateur")})),
         help=N_("Give someone a role: observer, member, referent or facilitator."), section=SECTION,
         role=Role.FACILITATOR, group=False)
async def role(ctx: Context, person: Person, role: str) -> Reply:
    t = ctx.t
    new = ROLE_BY_WORD[role]
    community = ctx.need_community()
    await ctx.services.people.keep_a_facilitator(person, community, new)
    _, previous = await ctx.services.people.set_role(person, community, new)
    reply = Reply().para(t(N_("{name} is now {role} of {community}."), name=person.display_name, role=t(new.label), community=community.name))
    if previous is not None and previous != new:
        reply.choice(t(N_("Undo")), f"role {await _handle(person)} {previous.key}")
    return reply


@command("bind", fr=("lier",), args=(Arg("community", "community", N_("community")),),
         help=N_("Bind this group, room or list to a community: everyone here then talks to it."), section=SECTION)
async def bind(ctx: Context, community: Community) -> Reply:
    t = ctx.t
    chat = ctx.incoming.chat
    if chat is None:
        raise UserError(N_("/bind works in a group, a room or a list, not in a direct chat."))
    membership = await ctx.services.people.membership(ctx.person, community)
    if membership is None or membership.role < Role.FACILITATOR:
        raise UserError(N_("Only a {role} of {community} can do that."), role=t(Role.FACILITATOR.label), community=community.name)
    if ctx.community is not None and ctx.community.id != community.id and (ctx.role is None or ctx.role < Role.FACILITATOR):
        # The chat speaks for another community: only its facilitators give it away.
        raise UserError(N_("Only a {role} of {community} can do that."), role=t(Role.FACILITATOR.label), community=ctx.community.name)
    if ctx.community is not None and ctx.community.id == community.id:
        binding = await ChatBinding.get(platform=ctx.incoming.platform, chat_id=chat)
        if binding.thread != ctx.incoming.thread:  # typed in another topic: announcements move there
            await ctx.services.people.bind(ctx.incoming.platform, chat, community, ctx.person, ctx.incoming.thread)
            return Reply().para(t(N_("{community}'s announcements will now be posted in this topic."), community=community.name))
        return Reply().para(t(N_("This chat already speaks for {community}."), community=community.name))
    previous = await ctx.services.people.bind(ctx.incoming.platform, chat, community, ctx.person, ctx.incoming.thread)
    reply = Reply().para(t(N_("This chat now speaks for {community}. Everyone here is a member of it."), community=community.name))
    return reply.choice(t(N_("Undo")), f"bind {previous.community.slug}" if previous else "unbind")


@command("unbind", fr=("délier",), help=N_("Unbind this group, room or list from its community."), section=SECTION, role=Role.FACILITATOR)
async def unbind(ctx: Context) -> Reply:
    t = ctx.t
    chat = ctx.incoming.chat
    if chat is None:
        raise UserError(N_("/bind works in a group, a room or a list, not in a direct chat."))
    community = ctx.need_community()
    await ctx.services.people.unbind(ctx.incoming.platform, chat)
    return Reply().para(t(N_("This chat no longer speaks for {community}."), community=community.name)).choice(t(N_("Undo")), f"bind {community.slug}")
