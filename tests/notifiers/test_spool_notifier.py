"""SpoolNotifier: one .eml per message, atomic, written once."""

from __future__ import annotations

import email
import email.policy

import pytest
from award.notifiers import SpoolNotifier
from award.notifiers.spool import spool_filename
from award.workflow.errors import DeliveryError

SENDER = "上海市质量奖评审办公室 <award@example.cn>"


def test_writes_one_parseable_eml(tmp_path, make_message):
    folder = tmp_path / "spool" / "outgoing"  # created on demand
    spool = SpoolNotifier(folder, sender=SENDER)
    message = make_message(html="<p>正文</p>")
    spool.send(message)
    files = list(folder.iterdir())
    assert files == [spool.path_for(message)]
    assert files[0].suffix == ".eml"
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == message.subject
    assert parsed["Message-ID"] == message.message_id
    assert parsed["From"] == SENDER
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == message.text


def test_repeat_is_dropped(tmp_path, make_message):
    spool = SpoolNotifier(tmp_path, sender=SENDER)
    message = make_message()
    spool.send(message)
    path = spool.path_for(message)
    first = path.read_bytes()
    spool.send(message)
    spool.send(make_message(message_id=message.message_id, subject="改过的主题"))
    assert path.read_bytes() == first
    assert list(tmp_path.iterdir()) == [path]  # no second file, no temporary file left


def test_filenames_are_safe_and_distinct():
    a = spool_filename("<outbox-42.case-7@award.local>")
    assert a.startswith("outbox-42.case-7@award.local.") and a.endswith(".eml")
    unsafe = spool_filename("<../../etc/passwd>")
    assert "/" not in unsafe and not unsafe.startswith(".")
    assert spool_filename("<a/b@x>") != spool_filename("<a_b@x>")
    assert len(spool_filename("<" + "x" * 500 + "@award.local>")) < 120


def test_unwritable_folder_is_temporary(tmp_path, make_message):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DeliveryError, match="无法写入邮件目录") as caught:
        SpoolNotifier(blocker / "spool", sender=SENDER).send(make_message())
    assert caught.value.permanent is False


def test_bad_header_is_permanent(tmp_path, make_message):
    with pytest.raises(DeliveryError) as caught:
        SpoolNotifier(tmp_path, sender=SENDER).send(make_message(subject="a\nBcc: x@y"))
    assert caught.value.permanent is True
    assert list(tmp_path.iterdir()) == []
