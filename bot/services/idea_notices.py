"""What ideas send: the new idea (to the facilitators, with what they can do, and to the community's rooms, with a
support), the decision to the proposer and the supporters, and the question whether the proposer will carry it."""

from __future__ import annotations

from typing import Callable

from bot.core.i18n import N_, Translator
from bot.core.replies import About, Reply, bold, italic
from models import Idea, Project

Build = Callable[[Translator], Reply]


def idea_label(t: Translator, idea: Idea) -> str:
    return t(N_("idea {number}"), number=idea.number)


def about(t: Translator, idea: Idea, author: str) -> About:
    """A reply to anything about the idea goes to its proposer and the facilitators."""
    return About((("idea", idea.id, 0),),
                 hint=t(N_("↩️ A word about this idea? Reply to this message: {name} and the facilitators get it."), name=author),
                 command=t(N_("↩️ A word about this idea? /reply <your text>: {name} and the facilitators get it."), name=author))


def new_idea(idea: Idea, author: str, staff: bool) -> Build:
    """The new idea: the facilitators get what they can do with it; the rooms, a way to support it."""

    def build(t: Translator) -> Reply:
        reply = Reply().para("💡 ", t(N_("New idea from {name} (idea {number}): "), name=author, number=idea.number), bold(idea.title))
        if idea.summary:
            reply.para(idea.summary)
        reply.add(about(t, idea, author))
        if staff:
            reply.choice(t(N_("Accept it as a project")), f"idea accept {idea.number}")
            reply.choice(t(N_("Merge it into a project")), f"idea merge {idea.number}")
            reply.choice(t(N_("Decline it")), f"idea decline {idea.number}")
        else:
            reply.choice(t(N_("Support it (+1)")), f"back-idea {idea.number}")
        return reply.choice(t(N_("All the ideas")), "ideas")
    return build


def became(idea: Idea, project: Project, merged: bool) -> Build:
    """To the supporters (and the proposer): the idea is a project now, which they follow."""

    def build(t: Translator) -> Reply:
        said = (N_("The idea “{idea}” joins the project {project}: you now follow it.") if merged else
                N_("The idea “{idea}” is now a project: {project}. You follow it."))
        return (Reply().para("💡 ", t(said, idea=idea.title, project=project.title))
                .choice(t(N_("See the project")), f"project {project.slug}")
                .choice(t(N_("Stop following")), f"unfollow {project.slug}"))
    return build


def lead_question(idea: Idea, project: Project) -> Build:
    """To the proposer of an accepted idea: will they be the project's referent?"""

    def build(t: Translator) -> Reply:
        return (Reply().para("💡 ", t(N_("Your idea “{idea}” is now the project {project}."), idea=idea.title, project=project.title))
                .para(t(N_("Will you be its referent, the one who carries it and gives its next step?")))
                .choice(t(N_("Yes, I carry it")), f"idea lead {idea.number} yes")
                .choice(t(N_("No, thank you")), f"idea lead {idea.number} no"))
    return build


def declined(idea: Idea, note: str) -> Build:
    def build(t: Translator) -> Reply:
        reply = Reply().para("💡 ", t(N_("The idea “{idea}” is not taken up for now."), idea=idea.title))
        if note:
            reply.para(t(N_("The facilitators' word: ")), italic(note))
        return reply.choice(t(N_("All the ideas")), "ideas")
    return build


def lead_answer(idea: Idea, project: Project, name: str, yes: bool) -> Build:
    """To the facilitators: the proposer's answer."""

    def build(t: Translator) -> Reply:
        said = (N_("{name} will carry {project} (from idea {number}): they are its referent now.") if yes else
                N_("{name} will not carry {project} (from idea {number}): it needs a referent."))
        reply = Reply().para("💡 ", t(said, name=name, project=project.title, number=idea.number))
        return reply.choice(t(N_("See the project")), f"project {project.slug}")
    return build
