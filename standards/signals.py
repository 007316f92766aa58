"""Events of the acceptance that other apps follow without this app knowing them (the figures that depend on who
meets the standard).

Sent inside the service's transaction once the change is written; a receiver that starts work defers it with
`transaction.on_commit`, so nothing runs for a change that is rolled back.
"""

from django.dispatch import Signal

# Sent with `inspection` (the signed Inspection).
inspection_signed = Signal()
# Sent with `objection` (the decided Objection).
objection_decided = Signal()
# Sent with `revocation` (the new Revocation): the community no longer meets the standard from its date.
title_revoked = Signal()
