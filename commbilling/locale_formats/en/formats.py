"""English formats, read by Django (FORMAT_MODULE_PATH) before its own: unambiguous day-month
dates on a 24-hour clock, as the French pages show them."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
