"""The permission matrix: every URL, what each role gets.

Each app lists its URLs in ``tests/<app>/matrix.py`` as ``MATRIX = [Row(...)]``;
``tests/commbilling/test_permission_matrix.py`` checks them all and fails if a URL of
the project is missing from every matrix.

Expectations: ``"ok"`` (2xx or a redirect that is not to the login page), ``"login"``
(redirect to the login page), or a status code (403, 404, 405).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

ROLES = ("anonymous", "accountant", "support", "admin")


@dataclass(frozen=True)
class Row:
    name: str  # URL name, e.g. "invoices:detail"
    expect: Mapping[str, object]  # role -> expectation, for every role of ROLES
    method: str = "get"
    # Builds the URL kwargs from (organisation, users) for record URLs: an accountant
    # of another organisation must then get 404.
    make: Callable[..., dict[str, object]] | None = None
    data: dict[str, object] = field(default_factory=dict)


ACCOUNTANT_PAGE = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}
SUPPORT_PAGE = {"anonymous": "login", "accountant": 403, "support": "ok", "admin": "ok"}
