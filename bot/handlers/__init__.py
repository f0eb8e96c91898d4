"""One module per feature; `MODULES` is what the registry reads."""

from bot.handlers import account, agenda, digest, email, facilitator, help, linking, meetings, mydata, news, pages, pledges, projects, report, search, votes

MODULES = [help, account, linking, mydata, projects, news, facilitator, agenda, votes, meetings, pledges, pages, report, digest, email, search]
