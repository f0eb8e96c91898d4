"""A community's choice for the Matrix direct chats Relais opens with its people: end-to-end encrypted (the default, as
Element's are) or not (for members whose clients or bridges cannot read encrypted rooms)."""

from __future__ import annotations

from models import Account, Community, Membership, Person


async def encrypted_chats(platform: str, address: str) -> bool:
    """Whether a direct chat Relais opens with this account is encrypted: the choice of the person's current community,
    else off as soon as one of their communities chose off; on for someone Relais does not know yet."""
    account = await Account.get_or_none(platform=platform, address=address)
    if account is None:
        return True
    person = await Person.get_or_none(id=account.person_id)
    if person is not None and person.current_community_id:
        chosen = await Community.filter(id=person.current_community_id).values_list("matrix_encryption", flat=True)
        if chosen:
            return bool(chosen[0])
    off = await Membership.filter(person_id=account.person_id, community__matrix_encryption=False).exists()
    return not off


async def set_encrypted_chats(community: Community, on: bool) -> None:
    await Community.filter(id=community.id).update(matrix_encryption=on)
    community.matrix_encryption = on
