"""Django's SMTP backend, keeping what the server answered to the message's DATA.

The reply to DATA ("250 2.0.0 Ok: queued as 4F2A…") is the server's acceptance; the
journal shows it and keeps the queue id as the provider's message id.
"""

import smtplib

from django.core.mail.backends import smtp


class _RepliesMixin:
    last_reply: tuple[int, bytes] | None = None

    def data(self, msg):
        code, response = super().data(msg)
        self.last_reply = (code, response)
        return code, response


class _SMTP(_RepliesMixin, smtplib.SMTP):
    pass


class _SMTP_SSL(_RepliesMixin, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    last_reply: tuple[int, str] | None = None

    @property
    def connection_class(self):
        return _SMTP_SSL if self.use_ssl else _SMTP

    def _send(self, email_message):
        self.last_reply = None
        sent = super()._send(email_message)
        reply = getattr(self.connection, "last_reply", None)
        if reply is not None:
            code, response = reply
            text = response.decode("utf-8", "replace") if isinstance(response, bytes) else response
            self.last_reply = (code, text)
        return sent
