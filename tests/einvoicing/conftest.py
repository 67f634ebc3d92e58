from collections.abc import Iterator
from threading import Thread

import pytest

from einvoicing.localplatform import LocalPlatform

API_KEY = "pa_test_commbilling"


@pytest.fixture
def platform_server() -> Iterator[LocalPlatform]:
    server = LocalPlatform(api_key=API_KEY)
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    if server.stall is not None:
        server.stall.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def platform_org(organisation, platform_server):
    """The organisation transmits its e-invoices to the local platform."""
    from einvoicing.models import PlatformSettings

    platform = PlatformSettings.for_organisation(organisation)
    platform.enabled = True
    platform.base_url = platform_server.url
    platform.api_key = API_KEY
    platform.webhook_secret = "whsec-test"
    platform.save()
    return organisation


@pytest.fixture(autouse=True)
def short_platform_timeout(settings):
    settings.EINVOICING_PLATFORM_TIMEOUT_SECONDS = 1.0
