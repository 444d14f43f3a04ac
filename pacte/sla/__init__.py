"""Business calendars and the SLA engine (the pure engine is ``pacte.sla.domain``)."""
