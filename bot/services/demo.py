"""A demo community drawn from the seeds, so that a newcomer can try Relais with zero accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from bot.services import search_index
from models import Account, Campaign, CampaignKind, Community, Follow, Membership, NewsItem, NextStep, Person, Project, ProjectStatus, Role

SLUG = "usine-vivante"


@dataclass(frozen=True)
class Ages:
    """How many days before the seed a project was created, its next step set and its news posted."""

    project: int
    step: int = 0
    news: int = 0


# Each project with its referent, summary, next step (due in N days) and one news item. The ages (in days before the
# seed) make the demo's digest read like a real week: projects started weeks ago, a next step set this week and one
# older, news of this week and of last week, and no project "new" this week.
PROJECTS = [
    ("dombes-brasserie", "Brasserie de la Dombes", ProjectStatus.FUNDING, "camille",
     "Une nouvelle gamme de bières bio brassées avec l'orge du plateau ; campagne de financement participatif en cours, objectif 12 000 €.",
     "Relancer les contributeurs de la première semaine de campagne", 10,
     "La campagne a passé 40 % de son objectif en dix jours. Merci à toutes et tous !", Ages(project=63, step=4, news=2)),
    ("conciergerie-rurale", "Conciergerie rurale", ProjectStatus.ACTIVE, "mehdi",
     "Un service de conciergerie pour les habitants des villages : dépôt de paniers, petites réparations, covoiturage.",
     "Trouver un local de dépôt à Crest", 21,
     "Trois communes ont répondu favorablement ; la mairie de Crest propose une salle.", Ages(project=42, step=12, news=3)),
    ("ressourcerie-creative", "Ressourcerie créative", ProjectStatus.ACTIVE, "louise",
     "Collecter les matériaux délaissés et les transformer en ateliers de création et en boutique solidaire.",
     "Organiser le premier atelier de réemploi", 14,
     "Deux tonnes de chutes de bois récupérées auprès d'une menuiserie voisine.", Ages(project=35, step=16, news=9)),
    ("creche-interentreprises", "Crèche inter-entreprises", ProjectStatus.IDEA, None,
     "Une crèche partagée par les entreprises du pôle, pour les horaires décalés des salariés.",
     None, None, None, Ages(project=20)),
]
# The facilitator's name as people read it (« Sophie vous pose… »), when the console account is the default one (`me`);
# another account name given by the operator is their own name.
FACILITATOR_NAME = "Sophie"
DEFAULT_ACCOUNT = "me"
# The brewery's campaign its news speaks of: 12 000 € asked, 41 % raised in ten days, 26 days to go.
CAMPAIGN_URL = "https://www.helloasso.com/associations/brasserie-de-la-dombes/collectes/nouvelle-gamme-bio"
MEMBERS = {"camille": "Camille", "mehdi": "Mehdi", "louise": "Louise", "ana": "Ana", "jules": "Jules"}
FOLLOWS = {"ana": ["dombes-brasserie", "ressourcerie-creative"], "jules": ["conciergerie-rurale"],
           "camille": ["ressourcerie-creative"], "mehdi": ["dombes-brasserie"]}


async def is_empty() -> bool:
    return not await Community.exists()


async def seed(facilitator: str, now: datetime, campaign: bool = False) -> Community:
    """The demo community with its facilitator (a console account name), four projects and a few members; with
    `campaign`, the brewery's running campaign too (the demo people try; tests start campaigns of their own)."""
    async with in_transaction():
        community = await Community.create(slug=SLUG, name="Tiers-lieu de l'Usine Vivante", locale="fr",
                                           created_at=now - timedelta(days=90))
        people: dict[str, Person] = {}
        lead = FACILITATOR_NAME if facilitator == DEFAULT_ACCOUNT else facilitator
        for name, display in {facilitator: lead, **MEMBERS}.items():
            account = await Account.get_or_none(platform="console", address=name).select_related("person")
            person = account.person if account else await Person.create(display_name=display)
            if account is None:
                await Account.create(person=person, platform="console", address=name, preferred=True)
            people[name] = person
            role = Role.FACILITATOR if name == facilitator else Role.MEMBER
            _, joined = await Membership.get_or_create(person=person, community=community, defaults={"role": role})
            if joined:  # members since the community began (the report counts members week by week)
                await Membership.filter(person=person, community=community).update(joined_at=now - timedelta(days=365))
        for slug, title, status, referent, summary, step, days, news, ages in PROJECTS:
            project = await Project.create(community=community, slug=slug, title=title, status=status, summary=summary,
                                           created_at=now - timedelta(days=ages.project))
            if referent and step and days is not None and news:
                await project.referents.add(people[referent])
                await Membership.filter(person=people[referent], community=community).update(role=Role.REFERENT)
                await NextStep.create(project=project, text=step, due=(now + timedelta(days=days)).date(), author=people[referent],
                                      created_at=now - timedelta(days=ages.step))
                await NewsItem.create(project=project, text=news, author=people[referent], platform="console",
                                      created_at=now - timedelta(days=ages.news))
        if campaign:
            brasserie = await Project.get(community=community, slug="dombes-brasserie")
            await Campaign.create(project=brasserie, kind=CampaignKind.REWARD, goal=1_200_000, raised=492_000, backers=57,
                                  milestone=25, url=CAMPAIGN_URL, created_by=people["camille"], created_at=now - timedelta(days=10),
                                  until=(now + timedelta(days=26)).date())
        for name, slugs in FOLLOWS.items():
            for slug in slugs:
                project = await Project.get(community=community, slug=slug)
                await Follow.create(person=people[name], project=project)
    await search_index.rebuild(community.id)  # the demo's news and next steps can be searched at once
    return community
