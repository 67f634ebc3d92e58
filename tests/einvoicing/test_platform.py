"""The platform adapter against the local platform server, over real HTTP."""

import functools
import socket
import threading

import pytest
from django.utils import translation
from weasyprint import HTML

from activity.errors import OutcomeUnknown, Unreachable, WrongSettings
from activity.messages import explain
from einvoicing.platform import HttpPlatform

from .conftest import API_KEY
from .helpers import VAT_CASES, facturx_pdf


@functools.cache
def facturx_file(case: str = "domestic") -> bytes:
    return facturx_pdf(VAT_CASES[case]())


def client(server, *, key: str = API_KEY, timeout: float = 2.0) -> HttpPlatform:
    return HttpPlatform(
        base_url=server.url,
        api_key=key,
        timeout=timeout,
        on_auth_error=lambda remote: WrongSettings([], remote=remote),
    )


def submit(platform, tracking_id: str = "732829320-F-2026-000042", content: bytes | None = None):
    return platform.submit(
        tracking_id=tracking_id, filename="F-2026-000042.pdf", content=content or facturx_file()
    )


def test_an_accepted_flow_is_deposited_with_its_flow_id(platform_server):
    flow = submit(client(platform_server))

    assert flow.flow_id.startswith("FLOW-")
    assert [e.code for e in flow.events] == ["200"]
    assert flow.accepted
    assert len(platform_server.accepted_flows()) == 1


def test_the_same_tracking_id_is_never_accepted_twice(platform_server):
    platform = client(platform_server)
    first = submit(platform)

    again = submit(platform)

    assert again.flow_id == first.flow_id
    assert len(platform_server.accepted_flows()) == 1


@pytest.mark.parametrize(
    ("setup", "code", "reason"),
    [
        (lambda s: s.invalid_sirens.add("542051180"), "213", "BUYER_SIREN_INVALID"),
        (lambda s: s.unroutable_sirens.add("542051180"), "221", "BUYER_ADDRESS_UNKNOWN"),
        (lambda s: setattr(s, "registered_sellers", set()), "213", "SELLER_NOT_REGISTERED"),
        (lambda s: s.reject_next.append("BUYER_SIREN_MISSING"), "213", "BUYER_SIREN_MISSING"),
    ],
)
def test_a_rejected_flow_carries_the_platforms_reason_code(platform_server, setup, code, reason):
    setup(platform_server)

    flow = submit(client(platform_server))

    (event,) = flow.events
    assert (event.code, event.reason_code) == (code, reason)
    assert event.message
    assert not flow.accepted
    assert platform_server.accepted_flows() == []


def test_a_file_that_is_not_a_factur_x_is_rejected_as_a_schema_error(platform_server):
    plain = HTML(string="<p>Facture</p>").write_pdf()

    flow = submit(client(platform_server), content=plain)

    assert [(e.code, e.reason_code) for e in flow.events] == [("213", "SCHEMA_INVALID")]


def test_a_wrong_api_key_is_a_settings_problem(platform_server):
    with pytest.raises(WrongSettings, match="HTTP 401"):
        submit(client(platform_server, key="wrong"))


def test_a_platform_that_does_not_listen_is_unreachable_and_safe_to_retry():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    platform = HttpPlatform(
        base_url=f"http://127.0.0.1:{port}",
        api_key=API_KEY,
        timeout=1,
        on_auth_error=lambda remote: WrongSettings([], remote=remote),
    )

    with pytest.raises(Unreachable) as raised:
        submit(platform)
    assert not isinstance(raised.value, OutcomeUnknown)
    # Said in the reader's language, from a reason code; urllib3's text kept for support.
    details = raised.value.details
    assert (details["reason"], details["host"]) == ("connection_refused", "127.0.0.1")
    assert "Connection refused" in details["error"]
    with translation.override("fr"):
        why = explain(
            process="einvoice_transmission",
            cause=raised.value.cause,
            details=details,
            record_label="F-2026-000042",
        ).why
    assert " ".join(why.split()) == (  # French puts a no-break space before ":"
        "La plateforme de facturation électronique est injoignable : connexion refusée par "
        "127.0.0.1 : rien n'écoute sur ce port."
    )


def test_a_connection_dropped_after_acceptance_leaves_the_outcome_unknown_and_findable(
    platform_server,
):
    platform_server.drop_after_accept = 1
    platform = client(platform_server)

    with pytest.raises(OutcomeUnknown):
        submit(platform)

    found = platform.find(tracking_id="732829320-F-2026-000042")
    assert found is not None
    assert found.accepted
    assert len(platform_server.accepted_flows()) == 1


def test_no_answer_in_time_leaves_the_outcome_unknown(platform_server):
    platform_server.stall = threading.Event()

    with pytest.raises(OutcomeUnknown, match="no answer") as raised:
        submit(client(platform_server, timeout=0.5))
    assert (raised.value.details["reason"], raised.value.details["host"]) == (
        "timeout",
        "127.0.0.1",
    )


def test_a_5xx_on_submission_leaves_the_outcome_unknown(platform_server):
    platform_server.fail_next = [503]

    with pytest.raises(OutcomeUnknown, match="HTTP 503"):
        submit(client(platform_server))


def test_find_prefers_the_accepted_flow_and_returns_none_for_an_unknown_tracking_id(
    platform_server,
):
    platform = client(platform_server)
    platform_server.reject_next.append("BUYER_SIREN_INVALID")
    submit(platform)
    accepted = submit(platform)

    assert platform.find(tracking_id="732829320-F-2026-000042").flow_id == accepted.flow_id
    assert platform.find(tracking_id="nothing") is None


def test_the_seller_reports_collected_once(platform_server):
    platform = client(platform_server)
    flow = submit(platform)

    platform.report_status(flow_id=flow.flow_id, code="212", message="Encaissée")
    platform.report_status(flow_id=flow.flow_id, code="212", message="Encaissée")

    assert [e.code for e in platform.get(flow_id=flow.flow_id).events] == ["200", "212"]


def test_the_buyer_refusal_is_reported_after_deposit(platform_server):
    platform = client(platform_server)
    platform_server.refuse_next = 1
    flow = submit(platform)

    def refused():
        return [e.code for e in platform.get(flow_id=flow.flow_id).events] == ["200", "210"]

    from tests.conftest import wait_for

    wait_for(refused, timeout=5)
