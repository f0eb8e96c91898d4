"""The queues' depths: what waits in each, since when, and what is parked (`relais status` and `/metrics` show them)."""

from __future__ import annotations

from datetime import datetime

QUEUES = ("inbox", "outbox", "inbound mail", "outgoing mail", "digest deliveries")


async def queues(now: datetime) -> dict[str, dict]:
    """Each queue of QUEUES: its items waiting, the oldest of them (and its age at `now`), its parked items (failed
    for good, for an operator to look at). `relais status` shows them; the metrics endpoint serves them."""
    from models import DeliveryStatus, DigestDelivery, InboundEvent, InboundMail, InboundStatus, OutboxMessage, OutboxStatus, OutgoingMail
    from models.mail import MailStatus

    figures = {}
    for name, model, waiting, parked, since in (
            ("inbox", InboundEvent, {"status": InboundStatus.PENDING}, {"status": InboundStatus.FAILED}, "created_at"),
            ("outbox", OutboxMessage, {"status__in": [OutboxStatus.PENDING, OutboxStatus.SENDING]}, {"status": OutboxStatus.FAILED},
             "created_at"),
            ("inbound mail", InboundMail, {"status__in": [MailStatus.PENDING, MailStatus.WORKING]}, {"status": MailStatus.FAILED},
             "received_at"),
            ("outgoing mail", OutgoingMail, {"status__in": [MailStatus.PENDING, MailStatus.WORKING]}, {"status": MailStatus.FAILED},
             "created_at"),
            ("digest deliveries", DigestDelivery, {"status": DeliveryStatus.CLAIMED}, {"status": DeliveryStatus.FAILED}, "updated_at")):
        oldest: datetime | None = await model.filter(**waiting).order_by(since).first().values_list(since, flat=True)  # type: ignore[assignment]
        figures[name] = {"waiting": await model.filter(**waiting).count(), "oldest": iso(oldest),
                         "oldest_age_s": age(now, oldest), "parked": await model.filter(**parked).count()}
    # Mail from an address not confirmed yet waits for its person, not for Relais: counted apart.
    figures["inbound mail"]["held"] = await InboundMail.filter(status=MailStatus.HELD).count()
    return figures


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def age(now: datetime, moment: datetime | None) -> float | None:
    return round((now - moment).total_seconds(), 1) if moment is not None else None
