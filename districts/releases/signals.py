from django.dispatch import Signal

# Sent once an applied release has committed: `release` (RosterRelease) and `effective_on`, so the figures of the
# dates it touches can be computed again (reporting listens; districts cannot import reporting).
release_applied = Signal()
