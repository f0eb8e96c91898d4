"""A digest's frame is rendered once for the readers whose mail reads the same but for their name and links: each mail
made that way is the very mail its templates make whole for that reader, one community or several, and a name the
shared frame cannot carry (a line break, markup) is rendered whole."""

from __future__ import annotations

from bot.services import digest as d
from bot.services.digest_combined import Combined, Planner
from mail.digest_combined import _Part
from models import Account, Community, Membership, Person, Role
from tests.mail.conftest import Relais
from tests.mail.test_digest_combined import two_communities, week


async def test_the_shared_frame_makes_the_same_mails_as_the_templates(relais: Relais):
    app, now = relais.app, relais.clock()
    usine, solidons, _ = await two_communities(now)
    for name, address in (("Sam <b>&</b>", "sam@example.org"), ("Théo\nDupont", "theo@example.org"), ("Zoé", "zoe@example.org")):
        person = await Person.create(display_name=name)
        await Account.create(person=person, platform="email", address=address, confirmed=True, preferred=True)
        await Membership.create(person=person, community=usine, role=Role.OBSERVER)
    mailer = await app.digest_mailer()
    editions = d.Editions(app.services.digest, usine, week(app, usine), now, now.date(), exact=True)
    planner = Planner(app.services.digest, usine, now, editions.today, exact=True)
    singles = combined = 0
    async for people in app.services.digest.recipients(usine):
        plan = await planner.plan(people)
        parts = await planner.parts(await Community.get(id=solidons.id), [r for r in people if r.person_id in plan.combined])
        for r in people:
            digest = await editions.assemble(r)
            if r.person_id in parts:
                mail = Combined(r, usine.id, digest, [parts[r.person_id]], plan.order[r.person_id])
                links = {dg.community_slug: mailer.links_for(dg) for dg in mail.digests}
                whole = mailer.whole_for(r)
                made = mailer.combined.render(mail, lambda dg, links=links: links[dg.community_slug], whole)
                t = mailer.renderer.catalogs.get(r.locale)
                parts_of = [_Part(dg.community_name, dg.page, mailer.renderer._highlights(t, dg), dg, links[dg.community_slug])
                            for dg in mail.digests]
                assert made == mailer.combined._render(t, mail, parts_of, made[0], whole)
                assert "\x00" not in made[1] + made[2] and "/d/alloff." in made[1] and made[1].count("/d/off.") == 2
                combined += 1
            else:
                links = mailer.links_for(digest)
                made = mailer.renderer.render(digest, links)
                t = mailer.renderer.catalogs.get(r.locale)
                whole_mail = mailer.renderer._render(digest, links, t, made[0], mailer.renderer._dates(t, digest),
                                                     mailer.renderer._highlights(t, digest), mailer.renderer._reply_hint(t, digest))
                assert made == whole_mail, r.name
                assert "\x00" not in made[1] + made[2] and "/d/off." in made[1]
                singles += 1
    assert (singles, combined) == (3, 1)
