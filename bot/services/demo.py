"""A demo community drawn from the seeds, so that a newcomer can try Relais with zero accounts."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from models import Account, Community, Follow, Membership, NewsItem, NextStep, Person, Project, ProjectStatus, Role

SLUG = "usine-vivante"

PROJECTS = [
    ("dombes-brasserie", "Brasserie de la Dombes", ProjectStatus.FUNDING, "camille",
     "Une nouvelle gamme de bières bio brassées avec l'orge du plateau ; campagne de financement participatif en cours, objectif 12 000 €.",
     "Relancer les contributeurs de la première semaine de campagne", 10,
     "La campagne a passé 40 % de son objectif en dix jours. Merci à toutes et tous !"),
    ("conciergerie-rurale", "Conciergerie rurale", ProjectStatus.ACTIVE, "mehdi",
     "Un service de conciergerie pour les habitants des villages : dépôt de paniers, petites réparations, covoiturage.",
     "Trouver un local de dépôt à Crest", 21,
     "Trois communes ont répondu favorablement ; la mairie de Crest propose une salle."),
    ("ressourcerie-creative", "Ressourcerie créative", ProjectStatus.ACTIVE, "louise",
     "Collecter les matériaux délaissés et les transformer en ateliers de création et en boutique solidaire.",
     "Organiser le premier atelier de réemploi", 14,
     "Deux tonnes de chutes de bois récupérées auprès d'une menuiserie voisine."),
    ("creche-interentreprises", "Crèche inter-entreprises", ProjectStatus.IDEA, None,
     "Une crèche partagée par les entreprises du pôle, pour les horaires décalés des salariés.",
     None, None, None),
]
MEMBERS = {"camille": "Camille", "mehdi": "Mehdi", "louise": "Louise", "ana": "Ana", "jules": "Jules"}
FOLLOWS = {"ana": ["dombes-brasserie", "ressourcerie-creative"], "jules": ["conciergerie-rurale"],
           "camille": ["ressourcerie-creative"], "mehdi": ["dombes-brasserie"]}


async def is_empty() -> bool:
    return not await Community.exists()


async def seed(facilitator: str, now: datetime) -> Community:
    """The demo community with its facilitator (a console account name), four projects and a few members."""
    async with in_transaction():
        community = await Community.create(slug=SLUG, name="Tiers-lieu de l'Usine Vivante", locale="fr")
        people: dict[str, Person] = {}
        for name, display in {facilitator: facilitator, **MEMBERS}.items():
            account = await Account.get_or_none(platform="console", address=name).select_related("person")
            person = account.person if account else await Person.create(display_name=display)
            if account is None:
                await Account.create(person=person, platform="console", address=name, preferred=True)
            people[name] = person
            role = Role.FACILITATOR if name == facilitator else Role.MEMBER
            await Membership.get_or_create(person=person, community=community, defaults={"role": role})
        for slug, title, status, referent, summary, step, days, news in PROJECTS:
            project = await Project.create(community=community, slug=slug, title=title, status=status, summary=summary)
            if referent and step and days is not None and news:
                await project.referents.add(people[referent])
                await Membership.filter(person=people[referent], community=community).update(role=Role.REFERENT)
                await NextStep.create(project=project, text=step, due=(now + timedelta(days=days)).date(), author=people[referent])
                await NewsItem.create(project=project, text=news, author=people[referent], platform="console")
        for name, slugs in FOLLOWS.items():
            for slug in slugs:
                project = await Project.get(community=community, slug=slug)
                await Follow.create(person=people[name], project=project)
    return community
