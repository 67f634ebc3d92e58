"""French VAT rates (CGI art. 278 to 281 nonies): standard 20 %, intermediate 10 %, reduced
5,5 % and 2,1 %, and 0 % for exempt or reverse-charged supplies."""

from decimal import Decimal

FRENCH_VAT_RATES = frozenset(
    {Decimal("0"), Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20")}
)
