"""Search, driven like transcripts on SQLite and PostgreSQL: French and English stemming, best first, only the person's
community (and the facilitators' items only for them), the index kept current on every write and rebuilt by
`relais reindex` once emptied; bad input answered with the usage line."""

from __future__ import annotations

from tortoise import connections

from bot.core.i18n import french_typography as fr
from models import Community, ListMessage, NewsItem, Role, SearchDoc
from tests.conftest import Dialog, database_url
from tests.test_cli import relais


async def english(app, name: str = "me") -> Dialog:
    dialog = Dialog(app, name, locale="en")
    await dialog.say("lang en")
    return dialog


def order(got: str, *pieces: str) -> list[int]:
    """Where each piece is in the answer (all must be there)."""
    for piece in pieces:
        assert piece in got, f"{piece!r} not in {got!r}"
    return [got.index(p) for p in pieces]


async def test_a_french_word_finds_its_family_on_both_engines(any_app):
    me = await english(any_app)
    await me.say('project add potager "Potager partagé" Un jardin')
    await me.say("news potager La brasserie nous donne ses drêches pour le compost")
    await me.say("news ressourcerie-creative Le brassin de printemps est prêt")
    await me.say("news conciergerie-rurale Trois paniers livrés à Crest")
    got = await me.say("search brasser")
    order(got, "Found in Tiers-lieu de l'Usine Vivante for “brasser”, best first:", "La brasserie nous donne",
          "Le brassin de printemps", "Potager partagé · news item", "Ressourcerie créative · news item")
    assert "Trois paniers" not in got
    await me.check(
        ("search dreches", "La brasserie nous donne ses drêches"),  # without its accent
        ("search brassins printemps", ["Le brassin de printemps"]),  # every word must be there
        ("search brassin hiver", "Nothing found for “brassin hiver” in Tiers-lieu de l'Usine Vivante."),
    )
    assert "1) Potager partagé" in await me.say("search drêches")  # the choice that opens its project
    fr_me = Dialog(any_app, "me")
    await fr_me.say("langue fr")
    await fr_me.check(("chercher brasserie", fr("Trouvé dans Tiers-lieu de l'Usine Vivante pour « brasserie », le meilleur d'abord :")))


async def test_an_english_community_stems_english(any_app):
    people = any_app.services.people
    community = await people.create_community("brewers", "Brewers Guild", "en", "Europe/London")
    await people.grant(community, "console:zoe", Role.FACILITATOR)
    zoe = await english(any_app, "zoe")
    await zoe.say('project add ale "Pale ale" Our first beer')
    await zoe.say("news ale We brewed the first batch at the new brewery")
    await zoe.say("news ale Tasting evening on Friday with the neighbours")
    got = await zoe.say("search breweries")
    assert "at the new brewery" in got and "Tasting evening" not in got
    await zoe.check(("search brewing", "We brewed the first batch"), ("search neighbour", "Tasting evening"),
                    ("search the and of", "has no word to look for"))


async def test_the_best_match_comes_first_even_when_older(any_app):
    me = await english(any_app)
    await me.say("news ressourcerie-creative Compost : atelier compost, bacs à compost et compost partagé")
    await me.say("news conciergerie-rurale Au marché on parlera aussi de compost, entre autres choses du village")
    got = await me.say("search compost")
    best, other = order(got, "atelier compost", "on parlera aussi de compost")
    assert best < other


async def test_only_the_persons_community_and_the_facilitators_items_for_them(any_app):
    people = any_app.services.people
    other = await people.create_community("autre", "Autre Lieu", "fr", "Europe/Paris")
    await people.grant(other, "console:lou", Role.FACILITATOR)
    lou = await english(any_app, "lou")
    await lou.say('project add cave "Cave" La cave')
    await lou.say("news cave Une brasserie secrète sous la halle")
    assert "Une brasserie secrète" in await lou.say("search secrète")
    me, ana, mehdi = await english(any_app), await english(any_app, "ana"), Dialog(any_app, "mehdi")
    await me.check(("search secrète", "Nothing found for “secrète”"))
    # A referent's own words in answer to a prompt: found by the facilitators, not by every member.
    await me.say("prompt conciergerie-rurale")
    await mehdi.say("Trouver un local à Die pour le 15 janvier, pas encore sur la liste")
    await mehdi.say("oui")
    await me.check(("search liste", ["Conciergerie rurale · referent's answer", "pas encore sur la liste", "(Mehdi)"]))
    await ana.check(("search liste", "Nothing found"), ("search local Die", "Conciergerie rurale · next step"))


async def test_polls_meetings_and_taken_back_news_are_kept_current(any_app):
    me = await english(any_app)
    await me.say('poll "Quel nom pour la future brasserie ?" "La Mousse" "Le Houblon"')
    await me.check(("search brasserie", ["🗳 #1 Quel nom pour la future brasserie ? · poll", "La Mousse · Le Houblon",
                                         "1) #1 Quel nom pour la future brasserie ?"]))
    got = await me.say("search brasserie")
    assert "poll show usine-vivante#1" not in got
    await me.say("vote 1 2")
    await me.say("poll close 1")
    await me.check(("search houblon", "🏁 Le Houblon — La Mousse · Le Houblon"))
    await me.say("meeting set 15 january 19:00 Salle des fêtes de Crest")
    await me.check(("search salle fêtes", ["📅 General meeting", "Jan 15, 2027", "Salle des fêtes de Crest"]),
                   ("search réunion", "Salle des fêtes de Crest"))  # the community's word for a general meeting
    meeting = await SearchDoc.get(kind="meeting")
    await me.say(f"meeting cancel {meeting.item_id}")
    await me.check(("search salle fêtes", "Nothing found"))
    await me.say("news dombes-brasserie Les fûts de chêne sont livrés")
    assert "Les fûts de chêne" in await me.say("search chêne")
    item = await NewsItem.get(text="Les fûts de chêne sont livrés")
    await me.say(f"news delete dombes-brasserie {item.id}")  # the news' Undo
    await me.check(("search chêne", "Nothing found"))


async def test_bad_input_is_answered_with_the_usage_line(any_app):
    me = await english(any_app)
    await me.check(
        ("search", ["Missing <words>.", "Usage: /search <words>"]),
        ("search " + "brasserie " * 50, ["<words> is too long: at most 200 characters.", "Usage: /search <words>"]),
        ("search « ! » ?", ["has no word to look for", "Usage: /search <words>"]),
        ("search zzzz", "Nothing found for “zzzz”"),
    )


async def test_relais_reindex_rebuilds_an_emptied_index(any_app, tmp_path):
    me = await english(any_app)
    await me.say("news conciergerie-rurale Le camion frigorifique arrive lundi")
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    before = await SearchDoc.all().count()
    await conn.execute_script('DELETE FROM "search_tsv"; DELETE FROM "search_doc";' if postgres else
                              'DELETE FROM "search_fts"; DELETE FROM "search_doc";')
    await me.check(("search frigorifique", "Nothing found"))
    url = database_url("postgres" if postgres else "sqlite", tmp_path)
    done = relais(tmp_path, "reindex", "--community", "usine-vivante", RELAIS_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert f"usine-vivante: {before} items indexed" in done.stdout
    await me.check(("search frigorifique", "Le camion frigorifique arrive lundi"))
    assert relais(tmp_path, "reindex", "--community", "nope", RELAIS_DATABASE_URL=url).returncode == 1


async def test_list_posts_are_kept_short_and_found(any_app, clock):
    community = await Community.get(slug="usine-vivante")
    lists = any_app.services.lists
    await lists.record_post(community.id, "anouk@example.org", clock(), subject="[Usine Vivante] Une idée pour la cuve",
                            text="Et si on faisait une visite de la cuve ?\n" + "bla " * 400, author="Anouk",
                            message_id="<p1@example.org>", archive_url="<https://lists.example.org/archives/p1>")
    await lists.record_post(community.id, "anouk@example.org", clock(), subject="[Usine Vivante] Une idée pour la cuve",
                            text="the same copy read again", author="Anouk", message_id="<p1@example.org>")
    [post] = await ListMessage.all()
    assert (post.subject, post.author, len(post.excerpt)) == ("Une idée pour la cuve", "Anouk", 500)
    me = await english(any_app)
    await me.check(("search visite cuve", ["✉️ Une idée pour la cuve · list post", "Et si on faisait une visite", "(Anouk)",
                                           "archive"]))
