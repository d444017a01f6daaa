-- Evaluating risk incident rules (src/store/risk-incident-evaluation.ts) asks, for every rule and
-- risk object an upload touched, whether that object's incident under that rule was closed after
-- its newest risk event. Without an index for it, each of those questions read every incident of
-- the tenant: the upload job's evaluation grew with the tenant's incident count (a few hundred
-- objects times all incidents, for every upload). Partial: only closed incidents are asked about,
-- and open ones already have risk_incidents_open_key.
CREATE INDEX "risk_incidents_closed_idx" ON "risk_incidents"("tenant_id", "rule_id", "risk_object_type", "risk_object", "status_changed_at") WHERE "status" = 'CLOSED';
