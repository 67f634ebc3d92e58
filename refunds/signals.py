"""What refunds announces to the apps above it, which it never names (see the layering
test): e-invoicing transmits each credit note issued to a French business."""

from django.dispatch import Signal

# Sent inside the transaction that issues a credit note, once it is numbered and its PDF
# stored: sender=CreditNote, credit_note=…, actor=… (the user who issued it, or None).
credit_note_issued = Signal()
