"""The impact report in words (the chat, the mail, the CLI) and as an HTML page with the chart inline."""

from __future__ import annotations

import base64
from html import escape

from bot.core.i18n import N_, Translator
from bot.core.replies import Attachment, Reply, bold
from bot.services.budget import report_row as budget_row
from bot.services.pledges import money
from bot.services.report import BENCHMARK, Report
from bot.services.report_chart import ACTION_LABELS


def summary(t: Translator, report: Report) -> str:
    """One line for the weekly agenda: last week's participation against the benchmark."""
    week = report.weeks[-2] if len(report.weeks) > 1 else report.last
    if week is None or not week.members:
        return t(N_("Participation: no member yet."))
    verdict = (t(N_("within the 10–20 % of a lively community")) if BENCHMARK[0] <= week.participation <= BENCHMARK[1] else
               t(N_("above the 10–20 % of a lively community")) if week.participation > BENCHMARK[1] else
               t(N_("below the 10–20 % of a lively community")))
    return t(N_("Participation last week: {active} of {members} members ({percent}), {verdict}."), active=week.active,
             members=week.members, percent=t("{percent}%", percent=round(week.participation)), verdict=verdict)


def lines(t: Translator, report: Report) -> list[tuple]:
    rows: list[tuple] = []
    last = report.last
    if last is not None:
        average = sum(w.participation for w in report.weeks) / len(report.weeks)
        rows.append((t(N_("Participation: ")), bold(t(N_("{percent}%"), percent=round(average))),
                     " ", t(N_("of the members on average a week (benchmark 10–20 %); this week {active} of {members}."),
                            active=last.active, members=last.members)))
    if report.prompts_asked:
        hours = report.answer_hours
        wait = (t(N_("less than an hour")) if hours is not None and hours < 1 else
                t.n("{count} hour", "{count} hours", round(hours)) if hours is not None and hours < 48 else
                t.n("{count} day", "{count} days", round((hours or 0) / 24)))
        rows.append((t(N_("Referents: ")), bold(t(N_("{percent}%"), percent=round(report.response_rate or 0))), " ",
                     t(N_("of the prompts answered ({answered} of {asked}), in {wait} (median)."), answered=report.prompts_answered,
                       asked=report.prompts_asked, wait=wait if report.prompts_answered else "—")))
    rows.append((t(N_("Projects: ")), ", ".join([
        t.n("{count} active", "{count} active", report.projects_active),
        t.n("{count} without news or next step for 4 weeks", "{count} without news or next step for 4 weeks", report.projects_stale),
        t.n("{count} with an overdue next step", "{count} with an overdue next step", report.steps_overdue)]) + "."))
    for poll in report.turnout:
        rows.append((t(N_("Poll #{number}: "), number=poll.number), poll.question, " — ",
                     t(N_("turnout {percent} ({voters} of {members})"), percent=t("{percent}%", percent=round(poll.percent)),
                       voters=poll.voters, members=poll.members)))
    for f in report.funding:
        rows.append((t(N_("Campaign: ")), f.title, " — ", t(N_("{raised} raised, {promised} promised, of {goal}"),
                                                           raised=money(f.raised, f.currency, t.locale),
                                                           promised=money(f.promised, f.currency, t.locale),
                                                           goal=money(f.goal, f.currency, t.locale))))
    if report.budget is not None:
        rows.append(budget_row(t, report.budget))
    done = {kind: sum(w.actions.get(kind, 0) for w in report.weeks) for kind in ("idea", "support", "offer")}
    rows.append((t(N_("Contributions: ")), t(N_("ideas proposed {ideas}, supports {supports}, offers of help {offers}; came through a "
                                                "member's invitation: {invited}."), ideas=done["idea"], supports=done["support"],
                                             offers=done["offer"], invited=report.invited)))
    digests = sum(w.digests for w in report.weeks)
    links = sum(w.links for w in report.weeks)
    opened = sum(w.opened for w in report.weeks)
    rows.append((t(N_("Digest: ")), ", ".join([t.n("{count} sent", "{count} sent", digests),
                                                t.n("{count} opened (a link used)", "{count} opened (a link used)", opened),
                                                t.n("{count} link used", "{count} links used", links),
                                                t.n("{count} unsubscribed", "{count} unsubscribed", report.digest_unsubscribed)]) + "."))
    return rows


def chart_words(t: Translator, report: Report) -> list[tuple]:
    """What the chart shows, said in words: how to read it, how many weeks reached the benchmark, what members did in all."""
    lively = sum(w.participation >= BENCHMARK[0] for w in report.weeks)
    rows: list[tuple] = [(t(N_("Members who took part, week by week: ")),
                          t(N_("each bar is a week's share of the members, blue from 10 % up, grey below; the green band is "
                               "the 10–20 % of a lively community.")) + " "
                          + t.n("{count} week of {weeks} reached it or went above.",
                                "{count} weeks of {weeks} reached it or went above.", lively, weeks=len(report.weeks)))]
    done = [t(N_("{label} {count}"), label=t(ACTION_LABELS[k]), count=sum(w.actions.get(k, 0) for w in report.weeks))
            for k in ACTION_LABELS if any(w.actions.get(k) for w in report.weeks)]
    rows.append((t(N_("What members did, in all: ")), (", ".join(done) if done else t(N_("Nothing yet"))) + "."))
    rows.append((t(N_("Taking part: ")), t(N_("following a project, voting, answering a prompt, posting news or a next step, "
                                              "opening a pledge link, promising, answering a meeting, proposing or supporting an "
                                              "idea, offering help on a need; each member counts once a week."))))
    return rows


def week_lines(t: Translator, report: Report) -> list[tuple]:
    """The chart's figures, week by week, in words: who took part (of how many, against the benchmark), what they did,
    and the week's digests; a reader who does not see the picture (or whose mail program hides it) reads the same."""
    rows: list[tuple] = []
    for w in report.weeks:
        said = [t.n("{count} of {members} members took part ({percent}), {verdict}",
                    "{count} of {members} members took part ({percent}), {verdict}", w.active, members=w.members,
                    percent=t(N_("{percent}%"), percent=round(w.participation)),
                    verdict=t(N_("below the benchmark")) if w.participation < BENCHMARK[0] else
                    t(N_("within the benchmark")) if w.participation <= BENCHMARK[1] else t(N_("above the benchmark")))]
        did = [t(N_("{label} {count}"), label=t(ACTION_LABELS[k]), count=w.actions[k]) for k in ACTION_LABELS if w.actions.get(k)]
        if did:
            said.append(", ".join(did))
        if w.digests:
            said.append(t(N_("digests: {sent} sent, {opened} opened"), sent=w.digests, opened=w.opened))
        rows.append((bold(t(N_("Week of {day}: "), day=t.date(w.start, "d MMMM"))), t(N_("; ")).join(said) + "."))
    return rows


def report_reply(t: Translator, report: Report, png: bytes, weeks: int) -> Reply:
    """The report: its figures, the chart, and the chart's figures in words (the mail reads whole without the picture)."""
    reply = Reply().para("📈 ", t(N_("The last {weeks} weeks of {community}"), weeks=weeks, community=report.community))
    reply.items(lines(t, report))
    reply.add(Attachment("report.png", "image/png", png, t(N_("Participation and activity, week by week"))))
    reply.items(chart_words(t, report))
    return reply.items(week_lines(t, report), title=t(N_("Week by week")))


def report_html(t: Translator, report: Report, pngs: list[bytes], weeks: int) -> str:
    """A page of its own (`relais report --out report.html`): each chart inline, side by side on a wide screen and one
    per row on a phone, then the figures."""
    items = "".join("<li>" + "".join(escape(p.text if hasattr(p, "text") else str(p)) for p in row) + "</li>"
                    for row in lines(t, report))
    title = escape(t(N_("The last {weeks} weeks of {community}"), weeks=weeks, community=report.community))
    alt = escape(t(N_("Participation and activity, week by week")))
    figures = "".join(f'<figure><img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{alt}"></figure>'
                      for png in pngs)
    return (f'<!DOCTYPE html><html lang="{t.locale}"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{title}</title><style>body {{ font-family: -apple-system, '
            '"Segoe UI", Roboto, Helvetica, Arial, sans-serif; max-width: 1100px; margin: 32px auto; padding: 0 16px; '
            'line-height: 1.5; color: #1d1d1f; font-size: 17px; } h1 { font-size: 26px; line-height: 1.25; } '
            '.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 16px; } '
            'figure { margin: 0; } img { display: block; width: 100%; height: auto; } li { margin: 8px 0; } '
            '@media (max-width: 520px) { body { margin: 16px auto; padding: 0 12px; } h1 { font-size: 22px; } ul { padding-left: 18px; } }'
            f'</style></head><body><main><h1>{title}</h1><div class="charts">{figures}</div><ul>{items}</ul></main></body></html>')
