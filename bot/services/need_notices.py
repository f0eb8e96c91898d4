"""What needs send: the need to the project's followers and to the members whose skills match it, the thanks to the
helper, a volunteer for a project without referent to the facilitators, and the confirmation back to them."""

from __future__ import annotations

from typing import Callable

from bot.core.i18n import N_, Translator
from bot.core.replies import About, Reply, bold, italic
from bot.services.notify import Notice
from models import Need, Project

Build = Callable[[Translator], Reply]


def with_due(t: Translator, need: Need) -> list:
    return [bold(need.text)] + ([" ", italic(t(N_("(by {date})"), date=t.date(need.due)))] if need.due else [])


def about(t: Translator, need: Need) -> About:
    """A reply to a need goes to its project's referents."""
    return About((("need", need.id, need.project_id),),
                 hint=t(N_("↩️ You can help, or know who can? Reply to this message: the referents get it.")),
                 command=t(N_("↩️ You can help, or know who can? /i can help {number} [how], or /reply <your text>."),
                           number=need.number))


def new_need(need: Need, project: Project, matched: bool) -> Notice:
    """The need, to a follower of its project or (`matched`) to a member whose skills match it."""

    def headline(t: Translator) -> str:
        return t(N_("help wanted (need {number})"), number=need.number)

    def build(t: Translator) -> Reply:
        reply = Reply().para("🙋 ", bold(project.title), " — ", headline(t))
        reply.para(*with_due(t, need))
        if matched:
            reply.para(italic(t(N_("You get it because it matches your skills (/skills to change them)."))))
        reply.add(about(t, need))
        return (reply.choice(t(N_("I can help")), f"i can help {need.number}")
                .choice(t(N_("See the project")), f"project {project.slug}"))
    return Notice(project, build, headline)


def thanks(need: Need, project: Project) -> Build:
    def build(t: Translator) -> Reply:
        return (Reply().para("🙏 ", t(N_("Thank you! The referents of {project} say need {number} is filled, with your help: “{text}”."),
                                      project=project.title, number=need.number, text=need.text))
                .para(t(N_("You now follow {project}: its news and next steps will reach you."), project=project.title))
                .choice(t(N_("See the project")), f"project {project.slug}"))
    return build


def volunteer(project: Project, name: str) -> Build:
    """To the facilitators: someone offers to carry a project that has no referent."""

    def build(t: Translator) -> Reply:
        return (Reply().para("🙋 ", t(N_("{name} offers to be the referent of {project}, which has none."), name=name,
                                      project=project.title))
                .add(About((("project", project.id, project.id),)))
                .choice(t(N_("Confirm {name} as referent"), name=name), f"referent confirm {project.slug}")
                .choice(t(N_("See the project")), f"project {project.slug}"))
    return build


def confirmed(project: Project) -> Build:
    def build(t: Translator) -> Reply:
        return (Reply().para("✅ ", t(N_("You are now the referent of {project}. Thank you!"), project=project.title))
                .para(t(N_("Next: give it a next step with /nextstep {slug} <text> [by <date>]."), slug=project.slug))
                .choice(t(N_("See the project")), f"project {project.slug}"))
    return build
