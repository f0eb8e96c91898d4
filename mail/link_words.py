"""The link pages' words and look: what a link will do said in words, its button, and the page they make."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.core.errors import UserError
from bot.core.i18n import LOCALES, N_
from bot.core.numbers import read_number
from bot.services.events_text import name as event_name
from bot.services.events_text import when_text
from mail.render import TEMPLATES
from models import Account, Community, Event, Idea, Membership, Project, VotePoll

_PAGES = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def accepted_language(header: str, default: str) -> str:
    """The first language of an Accept-Language header that Relais speaks (by preference), else `default`."""
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().split("-")[0].lower()
        if code in LOCALES and quality > 0:
            ranked.append((-quality, i, code))
    return min(ranked)[2] if ranked else default


@dataclass
class Form:
    """A button: a POST to `action` (a path of this site: the pages' policy lets forms post nowhere else), carrying
    `page`, the page token bound to that link (bot/adapters/links/guard.py)."""

    action: str
    label: str
    primary: bool = True
    page: str = ""


@dataclass
class Page:
    title: str
    text: list[str] = field(default_factory=list)  # paragraphs, escaped when shown
    html: str = ""  # a reply of the core, already HTML
    forms: list[Form] = field(default_factory=list)
    note: str = ""  # a quieter last paragraph: what else the person can do
    context: str = ""  # the community the link is about, under Relais' name
    status: int = 200


def render_page(t, page: Page) -> str:
    """The page's HTML: pure, so the look tests and the screenshots render exactly what people get."""
    return _PAGES.get_template("page.html").render(lang=t.locale, page=page)


def _option(poll: VotePoll, number: int) -> str:
    option = str(poll.options[number - 1])
    return option.replace("T", " ")[:16] if poll.kind == "date" else option


async def link_project(services, ref: str, account: Account) -> Project | None:
    """The project a command names: `<community>/<slug>`, or a slug of one of the person's communities."""
    community_slug, _, slug = ref.rpartition("/")
    try:
        if community_slug:
            return await services.projects.get(await services.people.community(community_slug), slug)
    except UserError:
        return None
    communities = await Membership.filter(person_id=account.person_id).values_list("community_id", flat=True)
    found = await Project.filter(slug=slug.lower(), community_id__in=list(communities)).limit(2)
    return found[0] if len(found) == 1 else None  # two communities with that slug: say it plainly, not wrongly


async def _event_answer(words: list[str], account: Account, t) -> tuple[str, list[str], str] | None:
    """`coming <n>` / `not coming <n>` in words: the event (or the general meeting), its date and place."""
    coming = len(words) == 2 and words[0] == "coming"
    if not coming and not (len(words) == 3 and words[:2] == ["not", "coming"]):
        return None
    number = read_number(words[-1])
    event = await Event.get_or_none(id=number) if number else None
    if event is None or not await Membership.exists(community_id=event.community_id, person_id=account.person_id):
        return None
    community = await Community.get(id=event.community_id)
    what, when = event_name(t, event, community.name, in_sentence=True), when_text(t, event, ZoneInfo(community.timezone))
    said = [when + (f" — {event.place}" if event.place else "")]
    if coming:
        return t(N_("Coming to {event}?"), event=what), said, t(N_("I'm coming"))
    return t(N_("Not coming to {event}?"), event=what), said, t(N_("I'm not coming"))


async def describe(services, command: str, label: str, account: Account, t) -> tuple[str, list[str], str]:
    """(title, paragraphs, button) saying in words what a link's command will do."""
    words = command.split()
    if len(words) == 2 and words[0] in ("follow", "unfollow"):
        project = await link_project(services, words[1], account)
        if project is not None and words[0] == "follow":
            return (t(N_("Follow {project}?"), project=project.title),
                    [*([project.summary] if project.summary else []),
                     t(N_("You will get its news and next steps at {address}."), address=account.address)], t(N_("Follow")))
        if project is not None:
            return (t(N_("Stop following {project}?"), project=project.title),
                    [t(N_("You will no longer get its news and next steps."))], t(N_("Stop following")))
    if words == ["digest", "all", "off"]:
        return (t(N_("Stop all your weekly digests?")),
                [t(N_("None of your communities' digests will come to {address} any more. The projects you follow "
                      "stay followed."), address=account.address)], t(N_("Stop the digests")))
    if len(words) == 3 and words[:2] in (["digest", "off"], ["digest", "on"]):
        community = await Community.get_or_none(slug=words[2])
        if community is not None and words[1] == "off":
            return (t(N_("Stop the weekly digest of {community}?"), community=community.name),
                    [t(N_("It will no longer come to {address}. The projects you follow stay followed."),
                       address=account.address)], t(N_("Stop the digest")))
        if community is not None:
            return (t(N_("Get the weekly digest of {community}?"), community=community.name),
                    [t(N_("It will come to {address} every week."), address=account.address)], t(N_("Get the digest")))
    if len(words) == 3 and words[0] == "vote" and "#" in words[1]:
        slug, _, number = words[1].rpartition("#")
        community = await Community.get_or_none(slug=slug)
        poll_number, option = read_number(number), read_number(words[2]) or 0
        poll = await VotePoll.get_or_none(community_id=community.id, number=poll_number) if community and poll_number else None
        if poll is not None and 1 <= option <= len(poll.options):
            return (t(N_("Vote “{option}”?"), option=_option(poll, option)),
                    [poll.question, t(N_("Your ballot replaces any earlier one of yours on this poll, until it closes."))],
                    t(N_("Vote")))
    if len(words) == 2 and words[0] == "back-idea" and "#" in words[1]:
        slug, _, number = words[1].rpartition("#")
        community = await Community.get_or_none(slug=slug)
        idea = await Idea.get_or_none(community_id=community.id, number=read_number(number) or 0) if community else None
        if idea is not None:
            return (t(N_("Support the idea “{title}”?"), title=idea.title),
                    [*([idea.summary] if idea.summary else []),
                     t(N_("Your support counts once; the facilitators see the ideas most supported first."))], t(N_("Support it (+1)")))
    answered = await _event_answer(words, account, t)
    if answered is not None:
        return answered
    label = label or t(N_("Confirm"))
    return (t(N_("“{choice}”: confirm your choice"), choice=label),
            [t(N_("Relais will do it for {address} once you press the button."), address=account.address)], label)
