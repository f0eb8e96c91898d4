"""invite, ambassadors: a member's personal invitation link (to the community or to one of its projects), joining through
it, and who brought how many followers or backers to a project."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.replies import LinkButton, Reply, bold, code
from bot.handlers.ideas import SECTION
from bot.runtime.context import Context
from models import Community, Person, Project, Role


@command("invite", fr=("inviter",), args=(Arg("project", "project", N_("project"), required=False),),
         help=N_("Your personal invitation link to the community (or to one of its projects, /invite <project>): it says how "
                 "to join from each platform, and who joins through it is counted as coming through you."),
         section=SECTION, role=Role.MEMBER)
async def invite(ctx: Context, project: Project | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    service = ctx.services.invitations
    invitation = await service.of(ctx.person, community, project)
    target = project.title if project else community.name
    reply = Reply().para("💌 ", t(N_("Your invitation to {target}, to share with whoever you like:"), target=target))
    if service.links.ready:
        url = service.links.url(invitation, community.slug)
        reply.para(url).add(LinkButton(t(N_("Open my invitation")), url))
    reply.para(t(N_("Or they write to Relais (in a chat or by mail): ")), code(f"join {community.slug} {invitation.code}"))
    arrivals = await service.arrivals(invitation)
    reply.para(t(N_("Opened {visits} times; {count} came through it."), visits=invitation.visits, count=arrivals))
    return reply


async def join_invited(ctx: Context, given: str, community: Community | None = None) -> Reply:
    """`join <community> <code>`, `/start inv-<code>`: join the community of the invitation (and follow its project),
    counted as coming through whoever invited."""
    t = ctx.t
    service = ctx.services.invitations
    invitation = await service.by_code(given)
    if invitation is None or (community is not None and invitation.community_id != community.id):
        raise UserError(N_("“{code}” is not an invitation code here: check it, or join without it."), code=given[:20])
    people = ctx.services.people
    community = await people.community_by_id(invitation.community_id)
    was_member = await people.membership(ctx.person, community) is not None
    joined = await people.join(ctx.person, community)
    await people.use(ctx.person, community)
    ctx.community, ctx.membership = community, joined
    project = await ctx.services.projects.by_id(invitation.project_id) if invitation.project_id else None
    followed = await ctx.services.projects.follow(ctx.person, project) if project is not None else False
    counted = await service.arrived(invitation, ctx.person)
    inviter = await Person.get_or_none(id=invitation.person_id)
    name = inviter.display_name if inviter else t(N_("a member"))
    reply = Reply()
    if joined.requested_at is not None:
        reply.para(t(N_("Your request to join {community} goes to its facilitators. Until they approve it you can read "
                        "everything, as an observer."), community=community.name))
    elif was_member and not counted:
        reply.para(t(N_("You are already a member of {community}; your direct messages now go to it."), community=community.name))
    else:
        reply.para("👋 ", t(N_("Welcome to {community}, where {name} invited you!"), community=community.name, name=name))
    if followed and project is not None:
        reply.para(t(N_("You now follow {project}. Its news and next steps will reach you."), project=project.title))
        reply.choice(t(N_("See the project")), f"project {project.slug}")
    return reply.choice(t(N_("See the projects")), "projects")


@command("ambassadors", fr=("ambassadeurs",), args=(Arg("project", "project", N_("project")),),
         help=N_("Who brought how many followers or backers to a project, through their invitations."),
         section=SECTION, role=Role.REFERENT, referent_of="project")
async def ambassadors(ctx: Context, project: Project) -> Reply:
    t = ctx.t
    found = await ctx.services.invitations.ambassadors(ctx.need_community(), project)
    if not found:
        return (Reply().para(t(N_("Nobody came to {project} through an invitation yet."), project=project.title))
                .para(t(N_("Each member gets their own link with /invite {slug}."), slug=project.slug)))
    rows = [(bold(a.name), " — ", t.n("{count} follower", "{count} followers", a.followers), ", ",
             t.n("{count} backer", "{count} backers", a.backers), " ",
             t.n("({count} came through their invitations)", "({count} came through their invitations)", a.arrivals))
            for a in found]
    return Reply().items(rows, title=t(N_("Ambassadors of {project}"), project=project.title))
