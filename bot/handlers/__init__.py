"""One module per feature; `MODULES` is what the registry reads."""

from bot.handlers import account, facilitator, help, news, projects

MODULES = [help, account, projects, news, facilitator]
