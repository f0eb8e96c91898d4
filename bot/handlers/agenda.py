"""The facilitator's hour: the weekly agenda, next-step prompts to referents and their answers (absences are in
bot/handlers/absence.py, the tracking sheet in bot/handlers/sheet.py)."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, answers, command, fold
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.replies import Reply, bold
from bot.handlers.digest import DAY_NAMES, SWITCH, SWITCH_WORDS
from bot.handlers.membership import add_requests
from bot.runtime.context import Context
from bot.services.agenda_text import agenda_reply
from bot.services.calendar import WEEKDAYS, next_due
from bot.services.prompt_reading import read, read_date, yes_no
from bot.services.prompts import Asked
from bot.services.report_text import summary
from models import Project, Prompt, PromptStatus, Role

SECTION = N_("The facilitator's hour")
PROJECT = Arg("project", "project", N_("project"), required=False)
NUMBER = Arg("number", "word", N_("number"), max_length=12)
_TIME = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?$")
# An answer to a prompt that keeps the next step as it is (folded: no accents, lower case).
NOTHING_NEW = re.compile(r"^\W*(?:rien de (?:nouveau|neuf)|rien|pas de changement|inchange[es]*|nothing new|nothing|no change|"
                         r"unchanged|same)\W*$")
ENGLISH_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# -- the agenda ---------------------------------------------------------------------------------------------


@command("agenda", fr=("agenda",), en=("week",),
         help=N_("This week's hour: the projects to contact (stalest first), the prompts waiting, the next meeting, "
                 "what went out to the list; choices prompt the referents in one go."),
         section=SECTION, role=Role.FACILITATOR)
async def agenda(ctx: Context) -> Reply:
    community = ctx.need_community()
    view = await ctx.services.agenda.view(community)
    impact = summary(ctx.t, await ctx.services.reports.build(community, 2))
    reply = agenda_reply(ctx.t, view, ctx.now(), impact=impact)
    await add_requests(ctx, reply, community)  # newcomers waiting for approval, with accept / refuse choices
    return reply.choice(ctx.t(N_("Impact report")), "report")


@command("agenda schedule", fr=("agenda horaire",), args=(Arg("day", "word", N_("day")), Arg("at", "word", N_("hh:mm"))),
         help=N_("When the agenda comes to the facilitators every week, in the community's time zone: "
                 "/agenda schedule monday 09:00."),
         section=SECTION, role=Role.FACILITATOR)
async def agenda_schedule(ctx: Context, day: str, at: str) -> Reply:
    t = ctx.t
    weekday = WEEKDAYS.get(fold(day))
    m = _TIME.match(at.lower())
    hour, minute = (int(m.group(1)), int(m.group(2) or 0)) if m else (-1, -1)
    if weekday is None:
        raise UsageError(N_("“{value}” is not a day of the week."), value=day[:40])
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise UsageError(N_("“{value}” is not a time; write it like 08:00."), value=at[:40])
    community = ctx.need_community()
    settings = await ctx.services.agenda.settings(community.id)
    previous = f"{ENGLISH_DAYS[settings.weekday]} {settings.hour:02d}:{settings.minute:02d}"
    settings.weekday, settings.hour, settings.minute = weekday, hour, minute
    await settings.save(update_fields=["weekday", "hour", "minute"])
    tz = ZoneInfo(community.timezone)
    upcoming = next_due(ctx.now(), weekday, time(hour, minute), tz).astimezone(tz)
    return (Reply().para(t(N_("The agenda of {community} now comes every {day} at {time} ({tz})."), community=community.name,
                           day=t(DAY_NAMES[weekday]), time=f"{hour:02d}:{minute:02d}", tz=community.timezone))
            .para(t(N_("Next one: ")), bold(t.date(upcoming.date()) + " " + upcoming.strftime("%H:%M")))
            .choice(t(N_("Undo")), f"agenda schedule {previous}"))


@command("agenda publish", fr=("agenda publier",),
         help=N_("Send to the community's rooms what did not go out this past week (news, next steps)."),
         section=SECTION, role=Role.FACILITATOR)
async def agenda_publish(ctx: Context) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    view = await ctx.services.agenda.view(community)
    if not view.unsent and view.week and not any(i.has_rooms or i.has_list for i in view.week):  # nowhere for it to go
        bind, lists = (ctx.registry.get(name) for name in ("bind", "list create"))
        return Reply().para(t(N_("No room, group or list is bound to {community} yet: nothing can go out. Bind a group with "
                                 "/{bind} {slug} (typed in that group), or make the list with /{lists}."), community=community.name,
                              bind=bind.localized_name(t.locale) if bind else "bind", slug=community.slug,
                              lists=lists.localized_name(t.locale) if lists else "list create"))
    if not view.unsent:
        return Reply().para(t(N_("Everything of the past week went out already.")))
    posted = 0
    for item in view.unsent:
        if item.has_rooms and not item.in_rooms:
            posted += await ctx.services.prompts.publish_item(community, item.kind, item.id)
    reply = Reply().para(t.n("{count} item sent to the rooms.", "{count} items sent to the rooms.", len(view.unsent)))
    if any(i.has_list and not i.on_list for i in view.unsent):
        reply.para(t(N_("The list announces them at its next round (a few minutes).")))
    return reply.choice(t(N_("Agenda")), "agenda")


# -- prompts ------------------------------------------------------------------------------------------------


@command("prompt", fr=("relancer", "relance"), en=("ask",), args=(PROJECT,),
         help=N_("Ask the referents of a project the three questions (next step? by when? on the list?) in a direct "
                 "message; alone, the projects the agenda proposes. You get a summary when they have answered."),
         section=SECTION, role=Role.FACILITATOR)
async def prompt(ctx: Context, project: Project | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    services = ctx.services
    if project is None:
        view = await services.agenda.view(community)
        if not view.proposed:
            return Reply().para(t(N_("The agenda proposes no project this week: every project was contacted lately."))).choice(
                t(N_("Agenda")), "agenda")
        ids = [s.id for s in view.proposed]
        projects = sorted(await Project.filter(id__in=ids), key=lambda p: ids.index(p.id))
    else:
        projects = [project]
    done = await services.prompts.ask(community, projects, ctx.person, services.prompts.new_batch())
    return prompted_reply(ctx, done)


def prompted_reply(ctx: Context, done: list[Asked]) -> Reply:
    t = ctx.t
    reply = Reply()
    rows = []
    asked_any = False
    for a in done:
        parts: list = [bold(a.project.title), " — "]
        notes = []
        if a.no_referents:
            notes.append(t(N_("no referent: add one with /referent add {project} <person>"), project=a.project.slug))
            reply.choice(t(N_("Add a referent to {project}"), project=a.project.title), f"referent add {a.project.slug}")
        if a.asked or a.queued:
            asked_any = True
            notes.append(t(N_("asked: {names}"), names=", ".join(a.asked + a.queued)))
        if a.away:
            notes.append(t(N_("away, not asked: {names}"), names=", ".join(f"{n} ({t.date(d, 'medium')})" for n, d in a.away)))
        if a.unreachable:
            notes.append(t(N_("no channel to reach {names}: call them"), names=", ".join(a.unreachable)))
        if not notes:
            notes.append(t(N_("already asked in this round")))
        rows.append(tuple(parts + ["; ".join(notes)]))
    reply.items(rows, title=t(N_("Prompts:")))
    if asked_any:
        reply.para(t(N_("They answer in free text, from their chat or by mail; a reminder goes out after a few days. "
                        "You get one summary when they have answered.")))
    return reply


@command("prompt auto", fr=("relancer auto", "relance auto"), en=("ask auto",),
         args=(Arg("switch", "choice", N_("on|off"), choices=SWITCH, accept=tuple(SWITCH_WORDS),
                   words={"fr": ("oui", "non")}),),
         help=N_("Let the weekly agenda send the prompts by itself (on), or leave them to you (off)."),
         section=SECTION, role=Role.FACILITATOR)
async def prompt_auto(ctx: Context, switch: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    settings = await ctx.services.agenda.settings(community.id)
    settings.auto_prompt = SWITCH_WORDS[switch]
    await settings.save(update_fields=["auto_prompt"])
    if settings.auto_prompt:
        return (Reply().para(t(N_("Every week, the agenda prompts the proposed projects' referents by itself; you get the summary.")))
                .choice(t(N_("Undo")), "prompt auto off"))
    return (Reply().para(t(N_("The agenda proposes; you send the prompts."))).choice(t(N_("Undo")), "prompt auto on"))


@answers("prompt")
async def prompt_answer(ctx: Context, text: str, data: dict) -> Reply:
    """A referent's answer, in one message or question by question; what is not understood is asked again, never
    guessed; what is understood is shown for confirmation."""
    services = ctx.services
    prompt = await services.prompts.open_prompt(int(data["prompt"]), ctx.person)
    project = await Project.get(id=prompt.project_id)
    stage = data.get("stage", "all")
    now = ctx.now().astimezone(ZoneInfo(ctx.need_community().timezone))
    if stage in ("all", "step") and NOTHING_NEW.match(fold(text)):
        return await _nothing_new(ctx, prompt, text)
    if stage == "confirm":
        said = yes_no(text)
        if said is True:
            return await _confirm(ctx, prompt)
        if said is False:
            await services.prompts.restart(prompt)
            return Reply().add(services.prompts.question(ctx.t, project, prompt.id))
        await services.prompts.restart(prompt)
        stage = "all"
    problem = ""
    if stage == "date":
        try:
            due, _ = read_date(text, now, ctx.locale)
            await services.prompts.keep(prompt, text, due=due, dated=True)
        except UserError as exc:
            problem = ctx.t(exc.message, **(exc.params or {}))
    elif stage == "list":
        said = yes_no(text)
        if said is None:
            reading = read(text, now, ctx.locale)
            said = reading.on_list
        if said is None:
            problem = ctx.t(N_("I did not understand: is it on the list already, yes or no?"))
        else:
            await services.prompts.keep(prompt, text, on_list=said)
    else:
        reading = read(text, now, ctx.locale)
        if stage == "step" and reading.step is None and not reading.dated:
            problem = ctx.t(N_("I did not find a next step in that. What is the next thing to do?"))
        await services.prompts.keep(prompt, text, step=reading.step, due=reading.due, dated=reading.dated, on_list=reading.on_list)
        if reading.problem:
            problem = ctx.t(reading.problem, **(reading.params or {}))
    return await _next_question(ctx, prompt, project, problem)


async def _next_question(ctx: Context, prompt: Prompt, project: Project, problem: str) -> Reply:
    """Ask what is still missing (one thing at a time), or show what was understood and ask to confirm."""
    services, t = ctx.services, ctx.t
    question = services.prompts.question
    if not prompt.step_text:
        stage = "step"
    elif not prompt.dated:
        stage = "date"
    elif prompt.on_list is None:
        stage = "list"
    else:
        stage = ""
    if stage:
        reply = Reply().add(question(t, project, prompt.id, stage, problem))
        if stage == "list":
            reply.choice(t(N_("Yes")), f"prompt list {prompt.id} yes").choice(t(N_("Not yet")), f"prompt list {prompt.id} no")
        return reply
    await services.prompts.understood(prompt)
    return understood_reply(ctx, prompt, project)


def understood_reply(ctx: Context, prompt: Prompt, project: Project) -> Reply:
    t = ctx.t
    reply = Reply().para(t(N_("I understood, for {project}:"), project=project.title))
    rows: list[tuple] = [(t(N_("Next step: ")), bold(prompt.step_text))]
    rows.append((t(N_("Date: ")), bold(t.date(prompt.step_due)) if prompt.step_due else t(N_("none"))))
    rows.append((t(N_("On the list: ")), t(N_("yes, already")) if prompt.on_list else t(N_("not yet — I will post it to the list and the rooms"))))
    reply.items(rows)
    return (reply.add(ctx.services.prompts.question(t, project, prompt.id, "confirm")).choice(t(N_("Yes, set it")), f"prompt confirm {prompt.id}")
            .choice(t(N_("No, start again")), f"prompt again {prompt.id}"))


async def _confirm(ctx: Context, prompt: Prompt) -> Reply:
    t = ctx.t
    services = ctx.services
    community = await services.people.community_by_id(prompt.community_id)
    step, count, published = await services.prompts.confirm(prompt, ctx.person, community)
    project = await Project.get(id=prompt.project_id)
    reply = Reply().para("✅ ", t(N_("Next step of {project}: "), project=project.title), bold(step.text))
    if step.due:
        reply.para(t(N_("Due {date}."), date=t.date(step.due)))
    reply.para(t.n("{count} follower notified.", "{count} followers notified.", count))
    if prompt.on_list:
        reply.para(t(N_("Noted as already on the list.")))
    else:
        said = []
        if published.on_list:
            said.append(t(N_("the list")))
        if published.rooms:
            said.append(t.n("{count} room", "{count} rooms", published.rooms))
        reply.para(t(N_("Posted to {where}."), where=t(N_(" and ")).join(said)) if said else
                   t(N_("The community has no list nor room bound yet: nothing posted.")))
    reply.para(t(N_("Thank you!")))
    after = await services.prompts.next_open(ctx.person)
    if after is not None:  # prompted about another project: that one now
        following, other = after
        reply.add(services.prompts.question(t, other, following.id))
    return reply


async def _nothing_new(ctx: Context, prompt: Prompt, text: str = "") -> Reply:
    """The next step and its date stay; the answer counts (then the person's next prompt, if any)."""
    t, services = ctx.t, ctx.services
    step = await services.prompts.nothing_new(prompt, text)
    project = await Project.get(id=prompt.project_id)
    reply = Reply().para("✅ ", t(N_("Nothing new for {project}: its next step stays “{step}”."), project=project.title,
                                  step=step.text), " " + t(N_("Due {date}."), date=t.date(step.due)) if step.due else "")
    reply.para(t(N_("Thank you!")))
    after = await services.prompts.next_open(ctx.person)
    if after is not None:
        following, other = after
        reply.add(services.prompts.question(t, other, following.id))
    return reply


@command("prompt nothing new", fr=("relance rien de nouveau",), args=(NUMBER,),
         help=N_("Answer a prompt with “nothing new”: the project's next step and date stay as they are."), section=SECTION)
async def prompt_nothing_new(ctx: Context, number: str) -> Reply:
    found = await _own_prompt(ctx, number)
    await ctx.services.conversations.drop(ctx.person.id)
    return await _nothing_new(ctx, found)


async def _own_prompt(ctx: Context, number: str) -> Prompt:
    found = read_number(number)
    if found is None:
        raise UsageError(N_("“{value}” is not a number."), value=number[:20])
    return await ctx.services.prompts.open_prompt(found, ctx.person)


@command("prompt confirm", fr=("relance confirmer",), args=(NUMBER,),
         help=N_("Confirm what I understood of your answer to a prompt (the Yes of its choices)."), section=SECTION)
async def prompt_confirm(ctx: Context, number: str) -> Reply:
    found = await _own_prompt(ctx, number)
    if found.status != PromptStatus.UNDERSTOOD:
        raise UserError(N_("Answer the questions first."))
    await ctx.services.conversations.drop(ctx.person.id)
    reply = await _confirm(ctx, found)
    return reply


@command("prompt again", fr=("relance reprendre",), args=(NUMBER,),
         help=N_("Start your answer to a prompt again."), section=SECTION)
async def prompt_again(ctx: Context, number: str) -> Reply:
    found = await _own_prompt(ctx, number)
    await ctx.services.prompts.restart(found)
    project = await Project.get(id=found.project_id)
    return Reply().add(ctx.services.prompts.question(ctx.t, project, found.id))


@command("prompt list", fr=("relance liste",), args=(NUMBER, Arg("answer", "choice", N_("yes|no"), choices=("yes", "no"),
                                                                    accept=("yes", "no", "oui", "non"), words={"fr": ("oui", "non")})),
         help=N_("Say whether the next step of your answer is on the list already."), section=SECTION)
async def prompt_list(ctx: Context, number: str, answer: str) -> Reply:
    found = await _own_prompt(ctx, number)
    await ctx.services.prompts.keep(found, answer, on_list=answer in ("yes", "oui"))
    project = await Project.get(id=found.project_id)
    return await _next_question(ctx, found, project, "")
