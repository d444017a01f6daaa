-- Risk incidents, as Splunk ES risk-based alerting: per-tenant risk incident rules evaluated over
-- risk_events, and the incidents they raise for a risk object, with a triage status.
--
-- Rules (risk_incident_rules):
--   SCORE_THRESHOLD  the risk scores of one object summed over the window exceed score_threshold
--                    (strictly greater, as ES's "over 100");
--   TACTIC_SPREAD    one object's risk events in the window carry at least min_tactics distinct
--                    ATT&CK tactics and come from at least min_detections distinct detection rules.
-- Every tenant has the two ES defaults (builtin = 'score_24h': over 100 in 24 hours;
-- builtin = 'tactics_7d': >= 3 tactics, >= 4 detection rules in 7 days): created here for the
-- existing tenants and on first use for new ones (src/store/risk-incidents.ts). Their thresholds and
-- windows may be edited and they may be disabled, not deleted; tenants add custom rules.
--
-- Incidents (risk_incidents): at most one open (NEW or ACKNOWLEDGED) incident per tenant, rule and
-- risk object (the partial unique index below); re-evaluation updates it. Once CLOSED, a new
-- incident opens only on risk events written after the close.

CREATE TYPE "RiskIncidentRuleKind" AS ENUM ('SCORE_THRESHOLD', 'TACTIC_SPREAD');
CREATE TYPE "RiskIncidentStatus" AS ENUM ('NEW', 'ACKNOWLEDGED', 'CLOSED');

CREATE TABLE "risk_incident_rules" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "RiskIncidentRuleKind" NOT NULL,
    -- 'score_24h' or 'tactics_7d' for the built-in ES defaults; null for a tenant's own rules.
    "builtin" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "score_threshold" INTEGER,
    "min_tactics" INTEGER,
    "min_detections" INTEGER,
    "window_hours" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "risk_incident_rules_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "risk_incident_rules_name_check" CHECK (char_length("name") BETWEEN 1 AND 200),
    CONSTRAINT "risk_incident_rules_window_check" CHECK ("window_hours" BETWEEN 1 AND 8784),
    CONSTRAINT "risk_incident_rules_kind_check" CHECK (
      ("kind" = 'SCORE_THRESHOLD' AND "score_threshold" IS NOT NULL AND "score_threshold" >= 0 AND "min_tactics" IS NULL AND "min_detections" IS NULL)
      OR ("kind" = 'TACTIC_SPREAD' AND "score_threshold" IS NULL AND "min_tactics" BETWEEN 1 AND 100 AND "min_detections" BETWEEN 1 AND 10000)
    ),
    CONSTRAINT "risk_incident_rules_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "risk_incident_rules_tenant_id_builtin_key" ON "risk_incident_rules"("tenant_id", "builtin");
CREATE UNIQUE INDEX "risk_incident_rules_tenant_id_name_key" ON "risk_incident_rules"("tenant_id", "name");

CREATE TABLE "risk_incidents" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "rule_id" UUID NOT NULL,
    "risk_object" TEXT NOT NULL,
    "risk_object_type" TEXT NOT NULL,
    -- The window of the last evaluation that met the rule: risk events with window_start < time <= window_end.
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "window_end" TIMESTAMPTZ(3) NOT NULL,
    "score" BIGINT NOT NULL,
    "tactics" TEXT[] NOT NULL DEFAULT '{}',
    -- Distinct detection rules among the contributing risk events.
    "detection_count" INTEGER NOT NULL,
    "risk_event_count" INTEGER NOT NULL,
    "status" "RiskIncidentStatus" NOT NULL DEFAULT 'NEW',
    "status_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "risk_incidents_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "risk_incidents_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "risk_incident_rules"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- The deduplication: one open incident per rule and risk object.
CREATE UNIQUE INDEX "risk_incidents_open_key" ON "risk_incidents"("tenant_id", "rule_id", "risk_object_type", "risk_object") WHERE "status" <> 'CLOSED';
CREATE INDEX "risk_incidents_tenant_id_created_at_idx" ON "risk_incidents"("tenant_id", "created_at");
CREATE INDEX "risk_incidents_rule_id_idx" ON "risk_incidents"("rule_id");

-- The two ES defaults for every existing tenant (the migration runner sees every tenant).
INSERT INTO "risk_incident_rules" ("tenant_id", "name", "kind", "builtin", "score_threshold", "window_hours")
  SELECT "id", 'Risk Threshold Exceeded For Object Over 24 Hour Period', 'SCORE_THRESHOLD', 'score_24h', 100, 24 FROM "tenants";
INSERT INTO "risk_incident_rules" ("tenant_id", "name", "kind", "builtin", "min_tactics", "min_detections", "window_hours")
  SELECT "id", 'ATT&CK Tactic Threshold Exceeded For Object Over Previous 7 Days', 'TACTIC_SPREAD', 'tactics_7d', 3, 4, 168 FROM "tenants";

-- Row-level security, as for every table holding tenant data (20261130090000_row_level_security).
CALL watchpost_isolate_by_tenant('risk_incident_rules');
CALL watchpost_isolate_by_tenant('risk_incidents');
