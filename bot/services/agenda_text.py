"""The agenda and the tracking sheet as replies (shown on a command, pushed every week) and the sheet's rows (as CSV
here, as a workbook in bot/services/sheet_xlsx.py)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core.i18n import N_, Translator
from bot.core.replies import Attachment, Reply, Span, bold, italic
from bot.services.agenda import AgendaView, ProjectState
from bot.services.agenda_contrib import add_lines as add_contributions
from bot.services.loans import late_lines
from models import ProjectStatus


def _when(t: Translator, moment: datetime | None, now: datetime) -> str:
    return t.ago(now - moment) if moment else t(N_("never"))


def _step(t: Translator, state: ProjectState, today: date) -> list:
    if not state.step_text:
        return [t(N_("next step: none"))]
    parts: list = [t(N_("next step: ")), italic(state.step_text[:120])]
    if state.step_due:
        parts += [" ", t(N_("(by {date})"), date=t.date(state.step_due, "medium"))]
        if state.overdue(today):
            parts += [" ⚠️ ", bold(t(N_("overdue")))]
    return parts


def _project_line(t: Translator, state: ProjectState, today: date, now: datetime) -> tuple:
    names = ", ".join(name for _, name in state.referents) or t(N_("no referent"))
    parts: list = [bold(state.title), " — ", t(N_("referents: {names}"), names=names), " · ",
                   t(N_("last contact: {when}"), when=_when(t, state.last_contact, now)), " · "]
    parts += _step(t, state, today)
    parts += [" · ", t.n("{count} follower", "{count} followers", state.followers)]
    flags = []
    if not state.referents:
        flags.append(t(N_("no referent: add one with /referent add {project} <person>"), project=state.slug))
    if state.unreachable:
        flags.append(t(N_("no channel to reach {names}: call them"), names=", ".join(state.unreachable)))
    if state.away:
        flags.append(t(N_("away: {names}"), names=", ".join(state.away)))
    if flags:
        parts += [" — ⚠️ ", "; ".join(flags)]
    return tuple(parts)


def agenda_reply(t: Translator, view: AgendaView, now: datetime, pushed: bool = False, impact: str = "") -> Reply:
    """This week's hour: whom to contact, what waits, the meeting, the list check, and the choices that do it;
    `impact`, the report's one line (last week's participation)."""
    community = view.community
    tz = ZoneInfo(community.timezone)
    reply = Reply()
    title = t(N_("This week's hour for {community}"), community=community.name)
    reply.para("📋 ", bold(title))
    if pushed:
        reply.para(t(N_("Your weekly agenda: a few choices below do the week.")))
    if impact:
        reply.para("📈 ", impact)
    answered = view.answered_this_week(now)
    waiting = view.waiting
    if answered and not waiting and not view.unsent:
        reply.para("✅ ", t.n("The week is done: {count} project answered, nothing waits, everything went out.",
                              "The week is done: {count} projects answered, nothing waits, everything went out.", len(answered)))
    if view.proposed:
        heading = t(N_("Next in line, if you have time:")) if answered and not waiting else t(N_("To contact this week (stalest first):"))
        reply.items([_project_line(t, s, view.today, now) for s in view.proposed], title=heading)
    elif not view.projects:
        reply.para(t(N_("No running project yet: create one with /project create <slug> <title>.")))
    else:
        reply.para(t(N_("Every project was contacted in the last three weeks: nobody to chase this week.")))
    if waiting:
        rows = []
        for s in waiting:
            asked = _when(t, s.last_prompt_at, now)
            if s.reminded:
                rows.append((bold(s.title), " — ", t(N_("asked {when}, reminded, no answer: call them"), when=asked)))
            else:
                rows.append((bold(s.title), " — ", t(N_("asked {when}, waiting for the answer"), when=asked)))
        reply.items(rows, title=t(N_("Waiting for an answer:")))
    if answered:
        reply.items([(bold(s.title), " — ", *_step(t, s, view.today)) for s in answered], title=t(N_("Answered this week:")))
    if view.unanswered:
        reply.items([(bold(f"#{m.number}"), " ", m.project or t(N_("to the facilitators")), " — ",
                      t(N_("{who}, {when}: {text}"), who=m.author or "?", when=_when(t, m.at, now),
                        text=m.text[:80] + ("…" if len(m.text) > 80 else "")))
                     for m in view.unanswered], title=t(N_("Members' messages without an answer for 3 days or more:")))
    add_contributions(t, view.contributions, community.slug, now, reply)
    late_lines(t, view.late_loans, reply)  # loans' instalments due and not confirmed
    if view.meeting:
        local = view.meeting.astimezone(tz)
        reply.para(t(N_("Next general meeting: ")), bold(f"{t.date(local.date())} {local:%H:%M}"))
    else:
        reply.para(t(N_("Next general meeting: none set.")))
    _list_check(t, view, reply)
    if view.proposed:
        reply.choice(t.n("Prompt the {count} proposed project", "Prompt the {count} proposed projects", len(view.proposed)), "prompt")
        for s in view.proposed:
            reply.choice(t(N_("Prompt {project}"), project=s.title), f"prompt {s.slug}")
    if view.unanswered:
        reply.choice(t(N_("Messages waiting")), "questions")
    if view.unsent:
        reply.choice(t(N_("Send what did not go out")), "agenda publish")
    if not view.meeting:
        reply.choice(t(N_("Date poll for the meeting")), "meeting poll")
    return reply.choice(t(N_("Tracking sheet")), "sheet")


def _list_check(t: Translator, view: AgendaView, reply: Reply) -> None:
    if not view.week:
        reply.para(t(N_("List check: no news nor next step in the past week.")))
        return
    rows = []
    for item in view.week:
        mark = "📰" if item.kind == "news" else "➡️"
        where = []
        if item.has_list:
            where.append(("✓ " if item.on_list else "✗ ") + t(N_("list")))
        if item.has_rooms:
            where.append(("✓ " if item.in_rooms else "✗ ") + t(N_("rooms")))
        state = " · ".join(where) if where else t(N_("no list nor room bound"))
        rows.append((mark, " ", bold(item.project), " — ", item.text[:80] + ("…" if len(item.text) > 80 else ""), " (", state, ")"))
    missing = len(view.unsent)
    title = t(N_("List check (past 7 days):")) if not missing else t.n(
        "List check (past 7 days): {count} item did not go out.", "List check (past 7 days): {count} items did not go out.", missing)
    reply.items(rows, title=title)


def _status(t: Translator, state: ProjectState) -> str:
    try:
        return t(ProjectStatus(state.status).label)
    except ValueError:
        return state.status


def sheet_reply(t: Translator, community_name: str, states: list[ProjectState], today: date, now: datetime) -> Reply:
    reply = Reply().para("🗂️ ", bold(t(N_("Tracking sheet of {community}"), community=community_name)))
    if not states:
        return reply.para(t(N_("No project yet: create one with /project create <slug> <title>.")))
    rows = []
    for s in states:
        names = ", ".join(name for _, name in s.referents) or t(N_("no referent"))
        parts: list = [bold(s.title), f" ({_status(t, s)}) — ", t(N_("referents: {names}"), names=names), " · ",
                       t(N_("last contact: {when}"), when=_when(t, s.last_contact, now)), " · ",
                       t(N_("last answer: {when}"), when=_when(t, s.last_answer_at, now)), " · "]
        parts += _step(t, s, today)
        parts += [" · ", t(N_("last news: {when}"), when=_when(t, s.last_news_at, now)),
                  " · ", t.n("{count} follower", "{count} followers", s.followers)]
        rows.append(tuple(p if isinstance(p, (str, Span)) else str(p) for p in parts))
    reply.items(rows)
    return reply.choice(t(N_("As a spreadsheet (xlsx)")), "sheet xlsx").choice(t(N_("As a CSV file")), "sheet csv")


SHEET_COLUMNS = (N_("project"), N_("slug"), N_("status"), N_("referents"), N_("last contact"), N_("last answer"),
                 N_("next step"), N_("due"), N_("overdue"), N_("last news"), N_("followers"))


def sheet_rows(t: Translator, states: list[ProjectState], today: date) -> tuple[list[str], list[list]]:
    """The sheet's header and one row per project, typed as a spreadsheet keeps them: dates as dates, the followers
    as a number, whether the step is overdue as « oui » / « non »."""
    def day(moment) -> date | None:
        return moment.date() if isinstance(moment, datetime) else moment
    yes, no = t(N_("yes")), t(N_("no"))
    rows = [[s.title, s.slug, _status(t, s), ", ".join(name for _, name in s.referents), day(s.last_contact),
             day(s.last_answer_at), s.step_text or "", s.step_due, yes if s.overdue(today) else no, day(s.last_news_at),
             s.followers] for s in states]
    return [t(c) for c in SHEET_COLUMNS], rows


def sheet_csv(t: Translator, states: list[ProjectState], today: date) -> bytes:
    """The sheet as a spreadsheet opens it: one row per project, dates in ISO, UTF-8 with its mark (BOM) for Excel;
    cells apart by `;` in French (the comma is the decimal mark there: a French spreadsheet reads `;`), `,` in English."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if t.locale == "fr" else ",")
    header, rows = sheet_rows(t, states, today)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v.isoformat() if isinstance(v, date) else "" if v is None else v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A cell a spreadsheet shows as written: text people wrote that starts like a formula (`=HYPERLINK(…)`) is
    neutralised with a leading apostrophe (OWASP's advice for CSV injection); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def sheet_file(t: Translator, slug: str, states: list[ProjectState], today: date) -> Attachment:
    return Attachment(f"{slug}-{today.isoformat()}.csv", "text/csv", sheet_csv(t, states, today),
                      caption=t(N_("Tracking sheet, {date}"), date=t.date(today, "medium")))
