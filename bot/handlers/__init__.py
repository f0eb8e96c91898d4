"""One module per feature; `MODULES` is what the registry reads."""

from bot.handlers import account, agenda, digest, email, facilitator, help, meetings, news, pages, pledges, projects, votes

MODULES = [help, account, projects, news, facilitator, agenda, votes, meetings, pledges, pages, digest, email]
