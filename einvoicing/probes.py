"""The platform's health probe: the circuit breaker (incidents.circuits) closes when the
organisation's platform answers again, and the transmissions waiting for it resume."""

from accounts.models import Organisation

from .models import PlatformSettings


def probe_platform(organisation: Organisation) -> None:
    """Ask the platform this organisation transmits to whether it answers; raise if not.
    With no platform configured there is nothing to wait for: the transmission reports
    the missing settings itself."""
    from .services import platform_client

    platform = PlatformSettings.for_organisation(organisation)
    if not platform.base_url or not platform.api_key:
        return
    platform_client(organisation).ping()
