"""What comments send: the referents' notification (the comment quoted with what it is about, and how to answer),
the answer going back to its author, the request for consent, and the published question with its answer."""

from __future__ import annotations

from bot.core.i18n import N_, Translator
from bot.core.replies import About, Reply, Topic, bold, italic
from bot.services.notify import Notice
from models import Comment, CommentKind, Project

QUOTE = 300  # characters of the item quoted beside a comment

ABOUT_LABELS = {
    "news": N_("the news"), "step": N_("the next step"), "prompt": N_("the weekly point"), "poll": N_("the poll"),
    "campaign": N_("the campaign"), "meeting": N_("the general meeting"), "event": N_("the event"), "project": N_("the project"),
    "qa": N_("the published answer"), "comment": N_("a message"), "idea": N_("the idea"), "need": N_("the need"),
}


def quoted(text: str, size: int = QUOTE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[:size].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def _about_line(t: Translator, comment: Comment) -> tuple:
    label = t(ABOUT_LABELS.get(comment.about_kind, N_("a message")))
    if comment.about_text:
        return (italic(t(N_("About {what}:"), what=label)), " « ", quoted(comment.about_text), " »")
    return (italic(t(N_("About {what}."), what=label)),)


def headline_of(comment: Comment, author: str) -> tuple[str, ...]:
    """The message id of the referents' headline for this kind of comment, with its author."""
    return {CommentKind.QUESTION: (N_("question from {author}"),), CommentKind.OFFER: (N_("{author} offers to help"),),
            CommentKind.CONTACT: (N_("message from {author}"),)}.get(comment.kind, (N_("comment from {author}"),))


def to_referents(comment: Comment, project: Project | None, author: str, community_name: str, group: str) -> Notice | _Plain:
    """The referents' notification (the facilitators' when no project): a reply to it, or /answer, answers."""

    def headline(t: Translator) -> str:
        return t(headline_of(comment, author)[0], author=author)

    def build(t: Translator) -> Reply:
        title = project.title if project else community_name
        reply = Reply().para("💬 ", bold(title), " — ", headline(t), f" (#{comment.number})")
        reply.para("« ", comment.text, " »")
        if comment.about_kind and comment.about_kind != "project":
            reply.para(*_about_line(t, comment))
        if comment.in_group:
            reply.para(italic(t(N_("Written in {chat}, where everyone saw it."), chat=group)))
        reply.add(About((("comment", comment.id, project.id if project else 0),),
                        hint=t(N_("↩️ Reply to this message to answer {author}."), author=author),
                        command=t(N_("↩️ To answer: /answer {number} <your answer>"), number=comment.number)))
        reply.choice(t(N_("Answer")), f"answer {comment.number}")
        reply.choice(t(N_("Hide")), f"hide {comment.number}")
        if project is not None:
            reply.choice(t(N_("See the project")), f"project {project.slug}")
        return reply

    return Notice(project, build, headline) if project is not None else _Plain(build, headline)


def answer_back(comment: Comment, project: Project | None, who: str, topic: Topic | None) -> Notice | _Plain:
    """The answer, to the comment's author where they wrote it; a reply to it writes back about the same item."""

    def headline(t: Translator) -> str:
        return t(N_("answer from {name}"), name=who)

    def build(t: Translator) -> Reply:
        title = project.title if project else ""
        reply = Reply().para("💬 ", bold(title) if title else "", " — " if title else "", headline(t))
        reply.para("« ", comment.answer, " »")
        reply.para(italic(t(N_("Your message #{number}: « {text} »"), number=comment.number, text=quoted(comment.text, 160))))
        if topic is not None:
            reply.add(About((topic,), hint=t(N_("↩️ Reply to this message to write back.")),
                            command=t(N_("↩️ To write back: /reply <your text>"))))
        if project is not None:
            reply.choice(t(N_("See the project")), f"project {project.slug}")
        return reply

    return Notice(project, build, headline) if project is not None else _Plain(build, headline)


def consent_request(comment: Comment, project: Project, who: str) -> Notice:
    """Asked once of the author: may the question be published with its answer, under which name?"""

    def headline(t: Translator) -> str:
        return t(N_("may your question be published?"))

    def build(t: Translator) -> Reply:
        reply = Reply().para("📣 ", t(N_("{name} would like to publish your question #{number} and its answer on {project}, "
                                          "so that other members find them:"), name=who, number=comment.number,
                                      project=project.title))
        reply.para("« ", quoted(comment.text), " »").para("→ « ", quoted(comment.answer), " »")
        reply.para(t(N_("Nothing is published without your agreement.")))
        return (reply.choice(t(N_("Yes, with my name")), f"consent {comment.number} name")
                .choice(t(N_("Yes, anonymously")), f"consent {comment.number} anonymous")
                .choice(t(N_("No")), f"consent {comment.number} no"))

    return Notice(project, build, headline)


def published(comment: Comment, project: Project, asker: str, answerer: str) -> Notice:
    """The question and its answer, to the project's followers."""

    def headline(t: Translator) -> str:
        return t(N_("a question answered"))

    def build(t: Translator) -> Reply:
        reply = Reply().para("❔ ", bold(project.title), " — ", headline(t))
        reply.para(bold(t(N_("Question from {name}:"), name=asker) if asker else t(N_("Question from a member:"))), " ", comment.text)
        reply.para(bold(t(N_("Answer from {name}:"), name=answerer) if answerer else t(N_("Answer:"))), " ", comment.answer)
        reply.add(About((("qa", comment.id, project.id),), hint=t(N_("↩️ Reply to this message to ask the referents more.")),
                        command=t(N_("↩️ To ask more: /reply <your question>"))))
        return reply.choice(t(N_("See the project")), f"project {project.slug}").choice(
            t(N_("Stop following")), f"unfollow {project.slug}")

    return Notice(project, build, headline)


class _Plain:
    """A notification about no project (a message to the facilitators): built per language, no thread."""

    def __init__(self, build, headline):
        self.build, self.headline = build, headline

    def __call__(self, t: Translator) -> Reply:
        return self.build(t)
