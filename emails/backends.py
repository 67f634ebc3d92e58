"""Django's SMTP backend, telling the caller of the server's reply to the message's DATA
the moment it arrives.

The reply to DATA ("250 2.0.0 Ok: queued as 4F2A…") is the server's acceptance: from then
on the message must never be sent again. ``on_accepted`` (set by ``emails.sending`` for
each message) is called inside smtplib's ``data()``, right after the 250 is read and
before smtplib, Django's backend or the kept connection do anything else — so the
acceptance is committed before any further command (RSET, NOOP, QUIT) or the closing of
the connection, whatever the server then does (hangs, drops the connection). The journal
shows the reply and keeps the queue id as the provider's message id.
"""

import smtplib
from collections.abc import Callable

from django.core.mail.backends import smtp

Accepted = Callable[[int, str], None]


def _text(response: bytes | str) -> str:
    return response.decode("utf-8", "replace") if isinstance(response, bytes) else response


class _RepliesMixin:
    last_reply: tuple[int, bytes] | None = None
    on_accepted: Accepted | None = None

    def data(self, msg):
        code, response = super().data(msg)
        self.last_reply = (code, response)
        if code == 250 and self.on_accepted is not None:
            self.on_accepted(code, _text(response))
        return code, response


class _SMTP(_RepliesMixin, smtplib.SMTP):
    pass


class _SMTP_SSL(_RepliesMixin, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    last_reply: tuple[int, str] | None = None
    # Called with the 250 reply to a message's DATA, inside smtplib (see the docstring).
    on_accepted: Accepted | None = None

    @property
    def connection_class(self):
        return _SMTP_SSL if self.use_ssl else _SMTP

    def _send(self, email_message):
        self.last_reply = None
        connection = self.connection
        connection.on_accepted = self.on_accepted
        try:
            sent = super()._send(email_message)
        finally:
            connection.on_accepted = None  # a kept connection never calls an old message's
        reply = getattr(connection, "last_reply", None)
        if reply is not None:
            code, response = reply
            self.last_reply = (code, _text(response))
        return sent
