"""aiogram's types are built when first used (bot/adapters/telegram/schemas.py), and then read and write as before.

In a process of its own: aiogram may already be imported, fully built, by another test of this session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = r'''
import bot.adapters.telegram.adapter  # installs the hook, then imports aiogram
from aiogram.methods import SendPhoto
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

assert not Update.__pydantic_complete__ and not Message.__pydantic_complete__, "built at import"
update = Update.model_validate({"update_id": 7, "message": {
    "message_id": 3, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/aide",
    "from": {"id": 5, "is_bot": False, "first_name": "Ana"},
    "reply_to_message": {"message_id": 2, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "?"},
    "photo": [{"file_id": "F", "file_unique_id": "U", "width": 10, "height": 8}]}})
message = update.message
assert Update.__pydantic_complete__
assert (message.from_user.first_name, message.reply_to_message.text, message.photo[0].file_id) == ("Ana", "?", "F")
markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="1", callback_data="c:1")]])
dumped = SendPhoto(chat_id=1, photo="F", caption="x", reply_markup=markup).model_dump(exclude_none=True)
assert dumped["reply_markup"] == {"inline_keyboard": [[{"text": "1", "callback_data": "c:1"}]]}, dumped
print("ok")
'''


def test_types_are_built_on_first_use_and_read_and_write_as_before():
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
