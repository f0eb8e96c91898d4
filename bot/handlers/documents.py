"""document, documents: a project's files (plans, statutes, minutes) added by its referents with a file attached, listed
with their links, taken away (with an Undo) and made public on the project's page."""

from __future__ import annotations

from babel.numbers import format_decimal

from bot.core.commands import Arg, answers, command
from bot.core.conversation import ANSWER_HINT
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.replies import Attachment, Question, Reply, bold, link
from bot.runtime.context import Context
from bot.services.documents import Document
from bot.services.file_kinds import DOCUMENT_MAX, DOCUMENTS, MB
from models import Project, Role

SECTION = N_("Referents")
PROJECT = Arg("project", "project", N_("project"))
NUMBER = Arg("number", "word", N_("number"), max_length=12)
YES = Arg("confirm", "choice", N_("yes"), choices=("yes",), accept=("yes", "oui", "confirm"), words={"fr": ("oui",)}, required=False)


def _number(raw: str) -> int:
    number = read_number(raw.lstrip("#n°"))
    if number is None or not 0 < number < 100_000:
        raise UsageError(N_("“{value}” is not a number."), value=raw[:20])
    return number


def _size(ctx: Context, size: int) -> str:
    if size >= MB:
        return ctx.t(N_("{size} MB"), size=format_decimal(round(size / MB, 1), locale=ctx.t.locale))
    return ctx.t(N_("{size} kB"), size=format_decimal(max(1, round(size / 1024)), locale=ctx.t.locale))


def _accepted() -> str:
    return ", ".join(sorted(set(DOCUMENTS.values())))


def _name(document) -> str:
    return document.title or document.filename


@command("document", fr=("doc",), args=(PROJECT, Arg("title", "text", N_("title"), required=False)),
         help=N_("Add a document to a project (plans, statutes, minutes): send the file with /document my-project [title]. "
                 "Without a file, I ask for it."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def document(ctx: Context, project: Project, title: str | None) -> Reply:
    if not ctx.incoming.files:
        return _ask(ctx, project, title or "")
    return await _add(ctx, project, title or "")


def _ask(ctx: Context, project: Project, title: str, problem: str = "") -> Reply:
    t = ctx.t
    reply = Reply().para(problem) if problem else Reply()
    return reply.add(Question(t(N_("Which file do you add to {project}? Send it in your next message ({kinds}; {limit} MB at most)."),
                                project=project.title, kinds=_accepted(), limit=DOCUMENT_MAX // MB),
                              "document", {"project": project.id, "title": title}, hint=t(ANSWER_HINT), days=1))


@answers("document")
async def document_answer(ctx: Context, text: str, data: dict) -> Reply:
    project = await ctx.services.projects.by_id(data["project"])
    await ctx.need_referent(project)
    if not ctx.incoming.files:
        return Reply().para(ctx.t(N_("No file came with your message: nothing was added. Send /document {slug} again "
                                     "with the file."), slug=project.slug))
    return await _add(ctx, project, data.get("title") or text)


async def _add(ctx: Context, project: Project, title: str) -> Reply:
    t = ctx.t
    added = []
    for upload in ctx.incoming.files[:4]:  # each refused one says why; the others are added
        try:
            added.append(await ctx.services.documents.add(project, ctx.person, upload, title if len(ctx.incoming.files) == 1 else ""))
        except UserError as exc:  # said after what was added (nothing added: the refusal alone, as an error)
            if not added:
                raise
            return _added(ctx, project, added).para("⚠️ ", t(exc.message, **exc.params))
    return _added(ctx, project, added)


def _added(ctx: Context, project: Project, added: list) -> Reply:
    t = ctx.t
    reply = Reply()
    for use in added:
        reply.para("📄 ", t(N_("Document {number} of {project}: "), number=use.position, project=project.title), bold(use.title or use.filename))
    if added:
        last = added[-1]
        reply.para(t(N_("Members see it with /documents {slug}. To show it on the project's public page: /document public {slug} {number}."),
                     slug=project.slug, number=last.position))
        reply.choice(t(N_("Undo")), f"document remove {project.slug} {last.position} yes")
    return reply


@command("documents", fr=("docs",), args=(PROJECT,), help=N_("The documents of a project, with their links."),
         section=N_("Projects"), role=Role.OBSERVER)
async def documents(ctx: Context, project: Project) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    found = await ctx.services.documents.listed(project, community, who=ctx.person.id)
    staff = await _staff(ctx, project)
    if not found:
        reply = Reply().para(t(N_("{project} has no document yet."), project=project.title))
        return reply.para(t(N_("Add one: send the file with /document {slug} [title]."), slug=project.slug)) if staff else reply
    rows = [_row(ctx, d, staff) for d in found]
    reply = Reply().items(rows, title=t(N_("Documents of {project}"), project=project.title))
    if not any(d.url for d in found):
        reply.para(t(N_("To get one: /document send {slug} <number>."), slug=project.slug))
    elif any(not d.public for d in found):
        reply.para(t(N_("The links work for 30 days; ask again for new ones.")))
    if staff:
        reply.para(t(N_("Referents: /document remove {slug} <number>, /document public {slug} <number>."), slug=project.slug))
    return reply


def _row(ctx: Context, d: Document, staff: bool) -> tuple:
    t = ctx.t
    name = link(_name(d), d.url) if d.url else bold(_name(d))
    row: list = [bold(f"{d.number}. "), name, f" — {_size(ctx, d.size)}"]
    if d.title and d.title != d.filename:
        row.append(f" · {d.filename}")
    if staff:
        row.append(" · " + (t(N_("public")) if d.public else t(N_("members only"))))
    return tuple(row)


async def _staff(ctx: Context, project: Project) -> bool:
    return (ctx.role is not None and ctx.role >= Role.FACILITATOR) or await ctx.services.projects.is_referent(project, ctx.person)


@command("document send", fr=("document envoyer", "document voir"), en=("document get",), args=(PROJECT, NUMBER),
         help=N_("Get one of a project's documents as a file."), section=N_("Projects"), role=Role.OBSERVER)
async def document_send(ctx: Context, project: Project, number: str) -> Reply:
    use = await ctx.services.documents.get(project, _number(number))
    data = await ctx.services.files.read(use.file.sha256)
    return Reply().add(Attachment(use.filename, use.file.mime, data, use.title))


@command("document remove", fr=("document retirer", "document supprimer"), en=("document delete",), args=(PROJECT, NUMBER, YES),
         help=N_("Take a document away from a project (you confirm first; Undo brings it back for a day)."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def document_remove(ctx: Context, project: Project, number: str, confirm: str | None) -> Reply:
    t = ctx.t
    n = _number(number)
    if confirm is None:
        use = await ctx.services.documents.get(project, n)
        return (Reply().para(t(N_("Remove document {number} of {project}, “{name}”? Its links stop working."),
                               number=n, project=project.title, name=_name(use)))
                .choice(t(N_("Yes, remove it")), f"document remove {project.slug} {n} yes")
                .choice(t(N_("No, keep it")), f"documents {project.slug}"))
    use = await ctx.services.documents.remove(project, n)
    return (Reply().para(t(N_("Document {number} of {project} removed: “{name}”."), number=n, project=project.title, name=_name(use)))
            .choice(t(N_("Undo")), f"document restore {project.slug} {n}"))


@command("document restore", fr=("document rétablir", "document remettre"), args=(PROJECT, NUMBER),
         help=N_("Bring back a document removed less than a day ago (the Undo of /document remove)."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def document_restore(ctx: Context, project: Project, number: str) -> Reply:
    n = _number(number)
    use = await ctx.services.documents.restore(project, n)
    return Reply().para(ctx.t(N_("Document {number} of {project} is back: “{name}”."), number=n, project=project.title, name=_name(use)))


@command("document public", fr=("document publier",), args=(PROJECT, NUMBER),
         help=N_("Show a document on the project's public page (when the community's pages are on)."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def document_public(ctx: Context, project: Project, number: str) -> Reply:
    t = ctx.t
    n = _number(number)
    use = await ctx.services.documents.publish(project, n, True)
    reply = Reply().para(t(N_("Document {number} of {project} is public: “{name}”."), number=n, project=project.title, name=_name(use)))
    if not ctx.need_community().pages:
        reply.para(t(N_("The community's public pages are off: it shows once a facilitator turns them on.")))
    return reply.choice(t(N_("Undo")), f"document private {project.slug} {n}")


@command("document private", fr=("document privé", "document prive", "document membres"), args=(PROJECT, NUMBER),
         help=N_("Take a document off the public page: members only see it."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def document_private(ctx: Context, project: Project, number: str) -> Reply:
    n = _number(number)
    use = await ctx.services.documents.publish(project, n, False)
    return (Reply().para(ctx.t(N_("Document {number} of {project} is for members only: “{name}”."), number=n, project=project.title,
                               name=_name(use)))
            .choice(ctx.t(N_("Undo")), f"document public {project.slug} {n}"))
