"""One module per feature; `MODULES` is what the registry reads."""

from bot.handlers import account, agenda, digest, email, facilitator, help, news, projects

MODULES = [help, account, projects, news, facilitator, agenda, digest, email]
