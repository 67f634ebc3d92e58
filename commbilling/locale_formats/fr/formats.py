"""French formats, read by Django (FORMAT_MODULE_PATH) before its own: what a page shows for
``{{ a_date }}`` and ``{{ a_datetime }}``, and the thousands separator (narrow no-break space)."""

DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
THOUSAND_SEPARATOR = "\u202f"
