"""Send e-mail through an SMTP server with the standard library: one connection per message."""

from __future__ import annotations

import smtplib
import ssl
from typing import TYPE_CHECKING, ClassVar, Literal

from award.workflow.abc import Notifier
from award.workflow.errors import ConfigError, DeliveryError
from award.workflow.logs import logger
from award.workflow.values import Message

from .mime import build_email

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["SmtpNotifier"]

_LOGGER = logger(__name__)

Security = Literal["none", "starttls", "ssl"]


def _reply(code: int, text: bytes | str) -> str:
    """The server's reply as one readable line: `550 5.1.1 No such user`."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}"


class _TrackingSMTP(smtplib.SMTP):
    """`smtplib.SMTP` that remembers whether the whole message has gone out and only the reply is awaited.

    A server that takes the message and then does not answer before the timeout may well deliver
    it: the outbox must then not send it again by itself (one copy per attempt).
    """

    data_sent = False

    def send(self, s: Buffer | str) -> None:
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.data_sent = True


class _TrackingSMTPSSL(smtplib.SMTP_SSL):
    data_sent = False

    def send(self, s: Buffer | str) -> None:
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.data_sent = True


def _permanent(code: int) -> bool:
    """RFC 5321: 5yz is a permanent failure, 4yz a transient one (try again later)."""
    return code >= 500


class SmtpNotifier(Notifier):
    """Delivers e-mail to an SMTP server (`smtplib`).

    A connection is opened for each message and always closed, which keeps the state simple: the
    outbox sends few messages, and a stale connection can never eat one. Failures become
    `DeliveryError`s whose `permanent` follows the server's reply code (5xx permanent, 4xx
    temporary); a network failure is temporary, a server that lacks STARTTLS or AUTH permanent.

    Attributes:
        channel: `email`.
        host, port: the server.
        security: `none` (plain), `starttls` (upgrade after EHLO) or `ssl` (TLS from the start).
        username: the login, or None to send without AUTH. The password is not kept as an attribute.
        sender: the From address.
        sender_name: the office's display name in From, or None.
        reply_to: the Reply-To address, or None.
        timeout: seconds for each network operation.
    """

    channel: ClassVar[str] = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender: str,
        timeout: float = 30,
        sender_name: str | None = None,
        reply_to: str | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ConfigError(f"邮件服务器的 security 应为 none、starttls 或 ssl，收到 {security!r}")
        if username is not None and password is None:
            raise ConfigError(f"邮件服务器账号 {username} 缺少密码")
        self.host = host
        self.port = port
        self.security: Security = security
        self.username = username
        self._password = password
        self.sender = sender
        self.sender_name = sender_name
        self.reply_to = reply_to
        self.timeout = timeout

    @property
    def _server(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, message: Message) -> None:
        """Send one message, in one connection.

        Raises:
            DeliveryError: `permanent=True` for a 5xx reply (refused recipient or sender, rejected
                data, failed login), a server without STARTTLS/AUTH, or a message that cannot be
                built; `permanent=False` for a 4xx reply, a refused connection, a timeout or a drop;
                `uncertain=True` when the whole message went out and the server's reply never came.
        """
        try:
            email_message = build_email(message, sender=self.sender, sender_name=self.sender_name,
                                        reply_to=self.reply_to)
        except ValueError as exc:
            raise DeliveryError(f"邮件 {message.message_id} 无法生成：{exc}", permanent=True) from exc
        smtp: smtplib.SMTP | None = None
        try:
            smtp = self._connect()
            if self.username is not None and self._password is not None:
                smtp.login(self.username, self._password)
            refused = smtp.send_message(email_message)
        except (smtplib.SMTPException, OSError) as exc:
            if smtp is not None and getattr(smtp, "data_sent", False) \
                    and not isinstance(exc, smtplib.SMTPResponseException):
                raise DeliveryError(
                    f"邮件服务器 {self._server} 已收下邮件全文，但未在 {self.timeout:g} 秒内答复（{exc}）："
                    "邮件可能已经发出，为免重复不再自动重发；请向收件人核实后用 award outbox retry 重发",
                    uncertain=True) from exc
            raise self._explain(exc) from exc
        finally:
            if smtp is not None:
                self._close(smtp)
        if refused:
            # Some recipients took it: retrying would send it to them again, so it counts as sent.
            _LOGGER.warning("smtp: %s sent, but refused for %s", message.message_id, sorted(refused))
        _LOGGER.info("smtp: sent %s via %s", message.message_id, self._server)

    def _explain(self, exc: smtplib.SMTPException | OSError) -> DeliveryError:
        """Say in Chinese what went wrong, with the server's reply, and whether retrying can help."""
        server = self._server
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refusals = exc.recipients.items()
            replies = "；".join(f"{addr}：{_reply(code, text)}" for addr, (code, text) in refusals)
            permanent = all(_permanent(code) for code, _ in exc.recipients.values())
            advice = "请核对邮箱地址" if permanent else "稍后重试"
            message = f"邮件服务器 {server} 拒绝收件人（{replies}）；{advice}"
            return DeliveryError(message, permanent=permanent)
        if isinstance(exc, smtplib.SMTPResponseException):
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if isinstance(exc, smtplib.SMTPSenderRefused):
                what = f"拒绝发件人 {exc.sender}（{reply}）；请核对发件地址配置"
            elif isinstance(exc, smtplib.SMTPAuthenticationError):
                what = f"登录失败（{reply}）；请核对账号和密码"
            elif isinstance(exc, smtplib.SMTPDataError):
                what = f"拒收邮件内容（{reply}）"
            else:  # connect, HELO, STARTTLS replies
                what = f"回复错误（{reply}）"
            return DeliveryError(f"邮件服务器 {server} {what}", permanent=_permanent(exc.smtp_code))
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return DeliveryError(f"邮件服务器 {server} 断开了连接（{exc}）；稍后重试", permanent=False)
        if isinstance(exc, smtplib.SMTPException):  # no STARTTLS, no AUTH, no suitable mechanism
            return DeliveryError(
                f"邮件服务器 {server} 不支持所需功能（{exc}）；请核对 security 和账号配置", permanent=True
            )
        # refused, unreachable, timed out, TLS handshake failed
        reason = str(exc) or type(exc).__name__
        return DeliveryError(f"无法连接邮件服务器 {server}（{reason}）；稍后重试", permanent=False)

    def _connect(self) -> smtplib.SMTP:
        """Connect, greet and secure; the caller closes the connection, even when this fails half-way."""
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = _TrackingSMTPSSL(timeout=self.timeout, context=ssl.create_default_context())
        else:
            smtp = _TrackingSMTP(timeout=self.timeout)
        try:
            code, reply = smtp.connect(self.host, self.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, reply)
            if self.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        except BaseException:
            self._close(smtp)
            raise
        return smtp

    @staticmethod
    def _close(smtp: smtplib.SMTP) -> None:
        """QUIT politely, then close whatever happens: a failed QUIT after a send is not a failed send."""
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()
