"""Domain operations shared by chat, mail and the scheduler; no transport imports here."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from bot.core.conversation import Conversations
from bot.core.i18n import Catalogs
from bot.core.topics import Topics
from bot.services.agenda import Agenda
from bot.services.budget import Budgets
from bot.services.comments import Comments
from bot.services.digest import PROVIDERS, Digests
from bot.services.digest_contrib import with_contributions
from bot.services.digest_events import with_events
from bot.services.digest_qa import with_questions
from bot.services.directory import Directory
from bot.services.documents import Documents
from bot.services.email import Email
from bot.services.events import Events
from bot.services.events_push import EventNotices
from bot.services.expenses import Expenses
from bot.services.files import Files
from bot.services.howto import HowTo
from bot.services.ideas import Ideas
from bot.services.invitations import Invitations
from bot.services.linking import Linking
from bot.services.loans import Loans
from bot.services.mailing_lists import Lists
from bot.services.meetings import Meetings
from bot.services.member_polls import MemberPolls
from bot.services.money_sync import MoneySync
from bot.services.mydata import MyData
from bot.services.needs import Needs
from bot.services.notify import Notifier
from bot.services.people import People
from bot.services.pledges import Pledges
from bot.services.projects import Projects
from bot.services.prompts import Prompts
from bot.services.report import Reports
from bot.services.schedules import Schedules
from bot.services.search import Search
from bot.services.skills import Skills
from bot.services.votes import Votes
from bot.services.votes_push import VoteNotices


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Services:
    """The domain services, built once by the composition root and handed to whoever needs them."""

    def __init__(self, catalogs: Catalogs, default_community: str = "", default_locale: str = "fr",
                 clock: Callable[[], datetime] = utcnow, on_outbox: Callable[[], None] | None = None,
                 remind_days: float = 3.0, secret_key: str = ""):
        self.catalogs = catalogs
        self.clock = clock
        self.default_locale = default_locale
        self.public_url = ""  # the link endpoint's public address, when Relais serves one (the App sets it)
        self.people = People(default_community=default_community, clock=clock)
        self.notifier = Notifier(catalogs, clock=clock, on_outbox=on_outbox)
        self.files = Files(clock)  # its store (RELAIS_FILES_URL) is set by the composition root
        self.documents = Documents(clock, self.files)
        self.projects = Projects(self.notifier, clock=clock, files=self.files)
        self.conversations = Conversations(clock)
        self.topics = Topics(clock)
        self.schedules = Schedules()
        self.digest = Digests(catalogs, clock, default_locale, self.schedules, providers=with_events(with_contributions(with_questions(PROVIDERS))))
        self.digest.files = self.files  # news thumbnails in the digest
        self.email = Email(catalogs, clock, self.people, self.notifier, default_locale)
        self.lists = Lists(clock, self.people, self.projects)
        self.agenda = Agenda(clock)
        self.comments = Comments(catalogs, clock, self.notifier, self.projects)
        self.howto: HowTo | None = None  # built by the composition root once the commands are known
        self.prompts = Prompts(catalogs, clock, self.notifier, self.conversations, self.projects, remind_days=remind_days)
        self.events = Events(clock)  # its UIDs' domain: the App sets the mail domain
        self.event_notices = EventNotices(catalogs, clock, self.notifier, self.events)
        self.meetings = Meetings(catalogs, clock, self.events, self.event_notices)
        self.votes = Votes(clock, secret_key)  # the configured RELAIS_SECRET_KEY only: secret ballots' keys
        self.linking = Linking(clock, self.people, self.votes)
        self.mydata = MyData(clock, self.people, self.votes, catalogs)
        self.mydata.files = self.files  # the files a person posted: listed, and erased with them
        self.pledges = Pledges(clock, self.notifier, self.projects)
        self.money = MoneySync(clock, self.pledges, catalogs)  # amounts read from HelloAsso, Open Collective
        self.expenses = Expenses(catalogs, clock, self.notifier, self.pledges)
        self.loans = Loans(catalogs, clock, self.notifier, self.pledges, self.projects)  # loans repaid on a schedule
        self.budgets = Budgets(catalogs, clock, self.notifier)  # the contributive micro-budget
        self.search = Search(clock)
        self.reports = Reports(clock)
        self.vote_notices = VoteNotices(catalogs, clock, self.notifier, self.votes, self.meetings)
        # Members become contributors: ideas, needs and skills, members' polls, invitations, the directory.
        self.directory = Directory()
        self.ideas = Ideas(catalogs, clock, self.notifier, self.projects)
        self.skills = Skills(clock)
        self.needs = Needs(catalogs, clock, self.notifier, self.projects)
        self.member_polls = MemberPolls(clock, self.notifier)
        self.invitations = Invitations(clock)
