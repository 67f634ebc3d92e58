from tests.matrix import ACCOUNTANT_PAGE, Row

MATRIX = [
    # The home page: support staff are sent to their queue (tests/accounts/test_landing.py).
    Row("dashboard", {"anonymous": "login", "accountant": "ok", "support": "ok", "admin": "ok"}),
    Row("health", {"anonymous": "ok", "accountant": "ok", "support": "ok", "admin": "ok"}),
    Row(
        "accounts:login",
        {"anonymous": "ok", "accountant": "ok", "support": "ok", "admin": "ok"},
    ),
    Row(
        "accounts:logout",  # answers with the login page for everyone
        {"anonymous": "login", "accountant": "login", "support": "login", "admin": "login"},
        method="post",
    ),
    Row(
        "accounts:company_settings",
        {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"},
    ),
    Row("activity:log", ACCOUNTANT_PAGE),
    Row("activity:log_export", ACCOUNTANT_PAGE),
    Row("activity:log_export_excel", ACCOUNTANT_PAGE),
    Row("activity:log_export_xlsx", ACCOUNTANT_PAGE),
    Row("activity:alerts", ACCOUNTANT_PAGE),
    Row(
        "accounts:no_role",
        {"anonymous": "login", "accountant": "ok", "support": "ok", "admin": "ok"},
    ),
]
