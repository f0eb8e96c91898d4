"""matrix encryption on|off: whether the Matrix direct chats Relais opens with a community's people are end-to-end
encrypted (on by default, like Element's)."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.i18n import N_
from bot.core.replies import Reply
from bot.handlers.digest import SWITCH, SWITCH_WORDS
from bot.runtime.context import Context
from bot.services.encryption import set_encrypted_chats
from models import Role


@command("matrix encryption", fr=("matrix chiffrement",),
         args=(Arg("switch", "choice", N_("on|off"), choices=SWITCH, accept=tuple(SWITCH_WORDS), words={"fr": ("oui", "non")},
                   required=False),),
         help=N_("Whether the Matrix direct chats I open with this community's people are end-to-end encrypted (on, the "
                 "default, like Element's) or not (off, for clients or bridges that cannot read encrypted rooms). Chats "
                 "already open stay as they are."),
         section=N_("Your community"), role=Role.FACILITATOR)
async def matrix_encryption(ctx: Context, switch: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if switch is None:
        said = N_("The Matrix direct chats I open with the people of {community} are end-to-end encrypted.") \
            if community.matrix_encryption else N_("The Matrix direct chats I open with the people of {community} are not encrypted.")
        return Reply().para(t(said, community=community.name))
    on = SWITCH_WORDS[switch]
    await set_encrypted_chats(community, on)
    said = N_("From now on, the Matrix direct chats I open with the people of {community} are end-to-end encrypted. Chats "
              "already open stay as they are.") if on else \
        N_("From now on, the Matrix direct chats I open with the people of {community} are not encrypted. Chats already "
           "open stay as they are.")
    return Reply().para("✅ ", t(said, community=community.name)).choice(t(N_("Undo")), f"matrix encryption {'off' if on else 'on'}")
