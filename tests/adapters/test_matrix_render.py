"""Golden tests of the pure Matrix pieces: reply rendering, keycaps, mentions, history cut-off, event reading."""

from bot.adapters.matrix.events import after_own_join, event_key, invite_job, job_from_event, strip_mention, strip_reply_fallback
from bot.adapters.matrix.render import keycap_number, notice, to_content
from bot.core.replies import Reply, bold, code, link

ME = "@relais:example.org"


def test_reply_with_title_list_links_and_choices():
    reply = (Reply().para("📰 ", bold("Brasserie"), " — news & <tags>")
             .items(["one", (code("/follow x"), " then ", link("site", "https://e.org/?a=1&b=2"))], title="Next")
             .choice("Follow", "follow x").choice("See the project", "project x"))
    assert to_content(reply, in_reply_to="$cmd", mention="@ana:example.org") == {
        "msgtype": "m.notice",
        "body": "📰 Brasserie — news & <tags>\n\nNext\n  • one\n  • /follow x then site <https://e.org/?a=1&b=2>"
                "\n\n1️⃣ Follow\n2️⃣ See the project",
        "format": "org.matrix.custom.html",
        "formatted_body": "<p>📰 <b>Brasserie</b> — news &amp; &lt;tags&gt;</p><p><b>Next</b></p>"
                          "<ul><li>one</li><li><code>/follow x</code> then <a href=\"https://e.org/?a=1&amp;b=2\">site</a></li></ul>"
                          "<p>1️⃣ Follow<br>2️⃣ See the project</p>",
        "m.mentions": {"user_ids": ["@ana:example.org"]},
        "m.relates_to": {"m.in_reply_to": {"event_id": "$cmd"}},
    }


def test_error_in_a_thread_and_a_notification_without_relation():
    error = to_content(Reply(error=True).para("Unknown command “x”."), in_reply_to="$cmd", thread_root="$root")
    assert error["body"] == "⚠️ Unknown command “x”."
    assert error["formatted_body"] == "<p>⚠️ Unknown command “x”.</p>"
    assert error["m.relates_to"] == {"rel_type": "m.thread", "event_id": "$root", "is_falling_back": False,
                                     "m.in_reply_to": {"event_id": "$cmd"}}
    assert error["m.mentions"] == {}
    plain = to_content(Reply().para("Hello"))
    assert "m.relates_to" not in plain and plain["formatted_body"] == "<p>Hello</p>"


def test_more_than_ten_choices_are_numbered_past_the_keycaps():
    reply = Reply()
    for i in range(1, 12):
        reply.choice(f"P{i}", f"project p{i}")
    lines = to_content(reply)["body"].split("\n")
    assert lines[0] == "1️⃣ P1" and lines[9] == "🔟 P10" and lines[10] == "11. P11"


def test_adapter_notice_escapes_and_keeps_lines():
    assert notice("a < b\nc") == {"msgtype": "m.notice", "body": "a < b\nc", "format": "org.matrix.custom.html",
                                  "formatted_body": "<p>a &lt; b<br>c</p>", "m.mentions": {}}


def test_keycaps_with_or_without_variation_selector():
    assert keycap_number("1️⃣") == 1 and keycap_number("3\u20e3") == 3 and keycap_number("🔟") == 10
    assert keycap_number("👍") is None and keycap_number("1") is None


def test_mentions_are_stripped_and_address_the_bot():
    names = [ME, "@relais", "relais", "Relais Bot"]
    assert strip_mention("Relais Bot: projets", names, True) == ("projets", True)
    assert strip_mention("relais, aide suivre", names, False) == ("aide suivre", True)
    assert strip_mention(f"{ME} moi", names, False) == ("moi", True)
    assert strip_mention("relais is great", names, False) == ("relais is great", False)
    assert strip_mention("hello there", names, True) == ("hello there", True)  # m.mentions alone addresses it
    assert strip_reply_fallback("> <@relais:example.org> 1) Follow\n> 2) Undo\n\n2") == "2"


def test_history_before_the_bots_own_join_is_cut():
    join = {"type": "m.room.member", "state_key": ME, "content": {"membership": "join"}, "event_id": "$j"}
    rename = {**join, "event_id": "$r", "unsigned": {"prev_content": {"membership": "join"}}}
    old, new = {"type": "m.room.message", "event_id": "$old"}, {"type": "m.room.message", "event_id": "$new"}
    assert after_own_join([old, join, new], ME) == ([new], True)
    assert after_own_join([old, rename, new], ME) == ([old, rename, new], False)


def test_which_events_become_jobs():
    text = {"type": "m.room.message", "event_id": "$1", "sender": "@ana:x",
            "content": {"msgtype": "m.text", "body": "!aide", "m.mentions": {"user_ids": [ME]}}}
    job = job_from_event("!r", text, ME, "Ana")
    assert (job.payload["kind"], job.key, job.payload["mentioned"], job.payload["name"]) == ("message", "matrix:$1", True, "Ana")
    assert job.lane == "matrix:!r", "a room's events are handled in order"
    assert job_from_event("!r", {**text, "sender": ME}, ME) is None  # its own messages
    assert job_from_event("!r", {**text, "content": {"msgtype": "m.notice", "body": "x"}}, ME) is None  # other bots
    edit = {**text, "content": {"msgtype": "m.text", "body": "* x", "m.relates_to": {"rel_type": "m.replace", "event_id": "$0"}}}
    assert job_from_event("!r", edit, ME) is None
    reaction = {"type": "m.reaction", "event_id": "$2", "sender": "@ana:x",
                "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$p", "key": "2️⃣"}}}
    assert job_from_event("!r", reaction, ME).payload["number"] == 2
    thumbs = {**reaction, "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$p", "key": "👍"}}}
    assert job_from_event("!r", thumbs, ME) is None
    assert job_from_event("!r", {"type": "m.room.encryption", "event_id": "$3", "sender": "@ana:x"}, ME).payload["kind"] == "encrypted"
    invite = invite_job("!r", [{"type": "m.room.member", "state_key": ME, "sender": "@ana:x",
                                "content": {"membership": "invite", "is_direct": True}}], ME, "s1")
    assert invite.payload == {"kind": "invite", "room_id": "!r", "inviter": "@ana:x", "direct": True, "encrypted": False}
    assert len(event_key("$" + "x" * 300)) < 200
