"""Build the e-mail for a `Message`, shared by the SMTP and spool notifiers so both produce the same mail."""

from __future__ import annotations

import email.policy
import email.utils
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage

from award.workflow.logs import logger
from award.workflow.timing.clock import system_clock
from award.workflow.values import Message

__all__ = ["RESERVED_HEADERS", "build_email"]

_LOGGER = logger(__name__)

RESERVED_HEADERS = frozenset({"message-id", "from", "to", "subject", "date", "mime-version", "content-type",
                              "reply-to"})
"""Headers `build_email` sets itself; `Message.headers` may not override them."""


def sender_address(address: str, name: str | None) -> str | Address:
    """`上海市政府质量奖审定委员会办公室 <award@example.gov.cn>` when the office has a display name.

    Raises:
        ValueError: when the address is not `local@domain` (the deployment file is wrong).
    """
    if not name:
        return address
    local, at, domain = address.partition("@")
    if not at or not local or not domain:
        raise ValueError(f"发件地址 {address!r} 不是有效的电子邮件地址")
    return Address(display_name=name, username=local, domain=domain)


def build_email(message: Message, *, sender: str, date: datetime | None = None, sender_name: str | None = None,
                reply_to: str | None = None) -> EmailMessage:
    """Turn a message into a MIME e-mail: UTF-8 text, an HTML alternative, attached documents.

    The policy is `email.policy.SMTP` (CRLF, 78-column folding, non-ASCII headers as RFC 2047
    encoded words), so a Chinese subject survives servers without SMTPUTF8. Bodies are
    base64-encoded UTF-8, which every server accepts whether or not it announces 8BITMIME.
    The `Message-ID` is the message's own id, so a receiver can drop a repeat.

    Args:
        message: the rendered message.
        sender: the From address (`award@example.gov.cn`).
        date: the Date header; the system clock when omitted (it is the real sending time).
        sender_name: the office's display name for From (`上海市政府质量奖审定委员会办公室`).
        reply_to: where replies go (the office's mailbox when mail is sent from a no-reply address).

    Returns:
        The e-mail, ready for `smtplib.SMTP.send_message` or `as_bytes()`.

    Raises:
        ValueError: when an extra header would override one of `RESERVED_HEADERS`, or a header
            value contains a line break (header injection); retrying cannot help.
    """
    msg = EmailMessage(policy=email.policy.SMTP)
    message_id = message.message_id.strip()
    if not message_id.startswith("<"):
        message_id = f"<{message_id}>"
    msg["Message-ID"] = message_id
    msg["Date"] = email.utils.format_datetime(date or system_clock())
    msg["From"] = sender_address(sender, sender_name)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["To"] = message.to
    msg["Subject"] = message.subject
    for name, value in message.headers.items():
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"附加邮件头 {name} 不允许覆盖自动生成的邮件头")
        msg[name] = value
    msg.set_content(message.text, subtype="plain", charset="utf-8", cte="base64")
    if message.html:
        msg.add_alternative(message.html, subtype="html", charset="utf-8", cte="base64")
    for doc in message.attachments:
        maintype, _, subtype = doc.mime_type.partition("/")
        if maintype == "text":
            msg.add_attachment(doc.content.decode("utf-8"), subtype=subtype or "plain", charset="utf-8",
                               cte="base64", filename=doc.filename)
        else:
            msg.add_attachment(doc.content, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=doc.filename)
    return msg
