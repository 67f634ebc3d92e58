from tests.emails.conftest import smtp_server, smtp_server_factory  # noqa: F401
