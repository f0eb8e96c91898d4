"""Every .ics Relais writes — an event's invitation, its update and its cancel as each reader's mail gets them, the
general meeting's, the list's copy, the events.ics and meetings.ics feeds (empty ones too) — checked against RFC 5545
and iTIP (RFC 5546): a VTIMEZONE for every TZID used, stable UIDs (a UUID and the instance's domain), SEQUENCE,
ORGANIZER, STATUS, METHOD; and each round-trips through the icalendar library unchanged."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import aiohttp
from icalendar import Calendar

from bot.adapters.console import ConsoleChat
from models import Community, Event
from tests.mail.conftest import DOMAIN, Relais

STATUSES = {"CONFIRMED", "CANCELLED", "TENTATIVE"}


def validate(data: bytes, method: str = "") -> Calendar:
    """The calendar, after checking what RFC 5545 and RFC 5546 require of it; fails with what is wrong."""
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines), "content lines end with CRLF"
    assert all(len(line) <= 75 for line in lines), "lines folded at 75 octets"
    cal = Calendar.from_ical(data)
    assert cal.name == "VCALENDAR" and str(cal["VERSION"]) == "2.0" and str(cal["PRODID"])
    assert cal.subcomponents, "a calendar holds at least one component"
    assert str(cal.get("METHOD", "")) == method
    zones = {str(tz["TZID"]): tz for tz in cal.walk("VTIMEZONE")}
    for tz in zones.values():
        rules = [c for c in tz.subcomponents if c.name in ("STANDARD", "DAYLIGHT")]
        assert rules and all("DTSTART" in r and "TZOFFSETFROM" in r and "TZOFFSETTO" in r for r in rules)
    events = cal.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)), "one UID per event"
    for event in events:
        for prop in ("DTSTART", "DTEND"):
            tzid = event[prop].params.get("TZID")
            assert tzid is None or tzid in zones, f"TZID {tzid} without its VTIMEZONE"
        assert event.decoded("DTEND") > event.decoded("DTSTART")
        stamp = event.decoded("DTSTAMP")
        assert isinstance(stamp, datetime) and stamp.utcoffset().total_seconds() == 0, "DTSTAMP in UTC"
        assert int(event["SEQUENCE"]) >= 0 and str(event["STATUS"]) in STATUSES
        assert str(event["ORGANIZER"]).startswith("mailto:")
        if method == "CANCEL":
            assert str(event["STATUS"]) == "CANCELLED"
        if method == "REQUEST":
            assert str(event["STATUS"]) == "CONFIRMED"
    assert Calendar.from_ical(cal.to_ical()).to_ical() == data, "round trip through icalendar"
    return cal


def new_uid(value: str) -> str:
    """A UID made by this instance: a UUID at its domain; returns the UUID."""
    left, _, domain = value.partition("@")
    assert domain == DOMAIN
    return str(uuid.UUID(left))


async def invitations(relais: Relais, to: str) -> list[tuple[str, bytes]]:
    """The calendar parts of the mails to `to`, with the method their MIME type names."""
    found = []
    for mail in relais.sink.received_by(to):
        for part in mail.message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                found.append((part.get_param("method") or "", part.get_payload(decode=True)))
    return found


async def test_every_ics_relais_writes_is_valid_and_round_trips(relais: Relais):
    me = ConsoleChat(relais.app.console, "me")
    jean = await relais.person_with_email("Jean Dupont", "jean@example.org")
    await me.exchange("pages oui")
    await me.exchange('événement "Atelier compost" 12 décembre 18h lieu Ressourcerie places 10')
    event = await Event.get(kind="event")
    await me.exchange("réunion fixer 15 janvier 19h Salle des fêtes")
    await relais.app.services.events.answer(event, jean, True)  # the cancel goes to who answered
    await me.exchange(f"événement modifier {event.id} lieu Mairie")
    await me.exchange(f"événement annuler {event.id}")
    await relais.settle()
    await relais.wait_mail(4, predicate=lambda m: "jean@example.org" in m.rcpt_tos and any(
        p.get_content_type() == "text/calendar" for p in m.message.iter_attachments()))
    got = await invitations(relais, "jean@example.org")
    methods = [m for m, _ in got]
    assert methods.count("REQUEST") == 3 and methods.count("CANCEL") == 1  # invitation, meeting, update; cancel
    sequences = {}
    for method, data in got:
        cal = validate(data, method)
        [vevent] = cal.walk("VEVENT")
        attendee = vevent["ATTENDEE"]
        assert str(attendee) == "mailto:jean@example.org" and attendee.params["CN"] == "Jean Dupont"
        new_uid(str(vevent["UID"]))
        sequences.setdefault(str(vevent["UID"]), []).append((int(vevent["SEQUENCE"]), str(vevent.get("LOCATION", ""))))
    assert sorted(sequences[(await Event.get(id=event.id)).uid]) == [(0, "Ressourcerie"), (1, "Mairie"), (2, "Mairie")]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{relais.web_url}/c/usine-vivante/events.ics") as answer:
            assert answer.headers["Content-Type"].startswith("text/calendar")
            feed = validate(await answer.read())
        async with http.get(f"{relais.web_url}/c/usine-vivante/meetings.ics") as answer:
            meetings = validate(await answer.read())
    statuses = {str(e["SUMMARY"]): str(e["STATUS"]) for e in feed.walk("VEVENT")}
    assert statuses == {"Atelier compost": "CANCELLED", "Réunion générale de Tiers-lieu de l'Usine Vivante": "CONFIRMED"}
    assert [str(e["SUMMARY"]) for e in meetings.walk("VEVENT")] == ["Réunion générale de Tiers-lieu de l'Usine Vivante"]
    start = meetings.walk("VEVENT")[0].decoded("DTSTART")
    assert start.astimezone(timezone.utc) == datetime(2027, 1, 15, 18, 0, tzinfo=timezone.utc)  # 19:00 in Paris, winter
    # The list's copy of an announcement: published, for the readers' calendars.
    community = await Community.get(slug="usine-vivante")
    meeting = await Event.get(kind="meeting")
    listed = relais.app.services.event_notices.ics(relais.app.catalogs.get("fr"), meeting, community, "PUBLISH")
    validate(listed, "PUBLISH")
    # A community without any event: its feeds are still calendars (their zone, no event).
    await Community.create(slug="vide", name="Vide", pages=True, created_at=relais.clock())
    async with aiohttp.ClientSession() as http:
        for path in ("events.ics", "meetings.ics"):
            async with http.get(f"{relais.web_url}/c/vide/{path}") as answer:
                assert not validate(await answer.read()).walk("VEVENT")
