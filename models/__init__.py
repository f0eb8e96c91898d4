"""Tortoise ORM models of Relais; the app label is `models`.

Each model says `_no_comments = True`: Tortoise would otherwise read every model's source file at import to find
`#:` field comments (none here), a fifth of a second of each start."""

from models.agenda import AgendaSettings, Announcement, Prompt, PromptStatus  # noqa: F401
from models.comments import Comment, CommentBlock, CommentKind, Consent, MessageTopic  # noqa: F401  (members talking back)
from models.communities import ChatBinding, Community, Membership, Role
from models.contributors import Idea, IdeaStatus, IdeaSupport, Need, NeedOffer, NeedReach, ReferentOffer, Skill, SkillTerm  # noqa: F401
from models.conversation import ChoiceOffer, ChoiceSet, PendingQuestion
from models.digest import DeliveryStatus, DigestDelivery, DigestMode, DigestSchedule, DigestSubscription, JobRun  # noqa: F401
from models.events import Event, EventAnswer, EventKind, Rsvp  # noqa: F401  (events and the general meeting)
from models.files import FileUpload, ProjectFile, StoredFile  # noqa: F401  (photos and documents)
from models.invitations import CommunityProfile, Invitation, InvitationArrival  # noqa: F401  (invitations, the directory)
from models.mail import InboundMail, ListDeparture, ListPost, ListSubscription, MailAddress, MailingList, OutgoingMail  # noqa: F401  (email tables)
from models.matrix import MatrixDirect, MatrixKeys  # noqa: F401  (Matrix adapter tables)
from models.member_polls import PollHidden, PollOutcome, VoteReason  # noqa: F401  (members' polls)
from models.messaging import AdapterState, ConsoleInbox, InboundEvent, InboundStatus, LinkUse, OutboxMessage, OutboxStatus  # noqa: F401
from models.money import Budget, BudgetRequest, BudgetVote, CampaignLink, Expense, LoanSchedule  # noqa: F401  (money counted where it is given)
from models.people import Account, LinkAttempt, LinkCode, LinkTry, Person  # noqa: F401  (LinkAttempt, LinkCode: linking accounts)
from models.pledges import Campaign, CampaignKind, PledgeClick, Promise  # noqa: F401
from models.processes import ProcessRole, RelaisProcess  # noqa: F401  (several processes on one database)
from models.projects import Follow, NewsItem, NextStep, Project, ProjectStatus
from models.search import ListMessage, SearchDoc  # noqa: F401  (search)
from models.votes import Ballot, BallotBox, NativePoll, PollElector, PollKind, PollVoter, VotePoll  # noqa: F401

__all__ = [
    "Account", "AdapterState", "ChatBinding", "ChoiceOffer", "ChoiceSet", "Community", "ConsoleInbox", "Follow", "InboundEvent", "InboundStatus", "Membership",
    "NewsItem", "NextStep", "OutboxMessage", "OutboxStatus", "PendingQuestion", "Person", "Project", "ProjectStatus", "Role",
]
