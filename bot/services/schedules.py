"""When a community's weekly digest goes out, and whether its summary is posted in its rooms."""

from __future__ import annotations

from datetime import time

from models import Community, DigestSchedule

DEFAULT = (0, time(8, 0))  # Monday 08:00, in the community's time zone


class Schedules:
    async def of(self, community: Community) -> tuple[int, time]:
        """(weekday, time) of the community's digest; Monday = 0."""
        row = await DigestSchedule.get_or_none(community_id=community.id)
        return (row.weekday, time(row.hour, row.minute)) if row else DEFAULT

    async def set(self, community_id: int, **values) -> None:
        await DigestSchedule.update_or_create(community_id=community_id, defaults=values)

    async def room_summary_wanted(self, community: Community) -> bool:
        row = await DigestSchedule.get_or_none(community_id=community.id)
        return bool(row and row.room_summary)
