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
