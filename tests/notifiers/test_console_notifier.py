"""ConsoleNotifier writes a readable block."""

from __future__ import annotations

import io

import pytest
from award.notifiers import ConsoleNotifier
from award.workflow.errors import DeliveryError


def test_writes_recipient_subject_and_body(make_message):
    stream = io.StringIO()
    message = make_message(to="评审办公室")
    ConsoleNotifier(stream).send(message)
    out = stream.getvalue()
    assert f"主题：{message.subject}" in out
    assert "收件人：评审办公室" in out
    assert "贵单位的申报材料已受理" in out
    assert message.message_id in out


def test_defaults_to_current_stdout(make_message, capsys):
    message = make_message()
    ConsoleNotifier().send(message)
    assert message.subject in capsys.readouterr().out


def test_closed_stream_is_a_temporary_failure(make_message):
    class Broken(io.StringIO):
        def write(self, text):
            raise BrokenPipeError("pipe closed")

    with pytest.raises(DeliveryError) as caught:
        ConsoleNotifier(Broken()).send(make_message())
    assert caught.value.permanent is False
