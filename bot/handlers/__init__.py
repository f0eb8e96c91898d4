"""One module per feature; `MODULES` is what the registry reads."""

from bot.handlers import (
    account,
    agenda,
    comments,
    digest,
    email,
    facilitator,
    help,
    linking,
    meetings,
    membership,
    moderation,
    mydata,
    news,
    pages,
    pledges,
    projects,
    report,
    search,
    talk,
    votes,
)

MODULES = [help, account, linking, mydata, projects, news, comments, moderation, facilitator, agenda, votes, meetings, membership, pledges, pages,
           report, digest, email, search, talk]
