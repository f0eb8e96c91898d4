"""`relais forget <account>`: an operator erases a person (as `forget me` does), after saying who it is."""

from __future__ import annotations

import sys

from bot.core.errors import UserError
from bot.logs import is_terminal


def add_parser(sub) -> None:
    f = sub.add_parser("forget", help="erase a person and their accounts, as `forget me` does (also the last facilitator)")
    f.add_argument("account", help="telegram:<id>, matrix:<mxid>, email:<addr> or console:<name>")
    f.add_argument("--yes", action="store_true", help="do not ask (needed when the input is not a terminal)")


async def run(app, args) -> int:
    from models import Account

    services = app.services
    t = app.catalogs.get("en")
    try:
        person = await services.mydata.owner(args.account)
    except UserError as exc:
        print("relais: " + t(exc.message, **exc.params), file=sys.stderr)
        return 1
    handles = [a.handle for a in await Account.filter(person_id=person.id).order_by("id")]
    print(f"{person.display_name}: {', '.join(handles)}")
    if not args.yes:
        if not is_terminal():
            print("relais: add --yes to erase without a question", file=sys.stderr)
            return 1
        if input("Erase this person and all their accounts? [y/N] ").strip().lower() not in ("y", "yes", "o", "oui"):
            print("nothing erased")
            return 1
    orphaned = await services.mydata.sole_facilitator_of(person)
    counts = await services.mydata.forget(person.id)
    print(f"erased: {counts['accounts']} accounts; {counts['ballots']} ballots kept without a name")
    for community in orphaned:
        print(f"warning: {community.slug} has no facilitator left: relais community grant {community.slug} <account> facilitator",
              file=sys.stderr)
    return 0
