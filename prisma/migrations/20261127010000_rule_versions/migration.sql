-- Rule history, rule fixtures, and the rule revision that produced each detection.

ALTER TABLE "rules" ADD COLUMN "revision" INTEGER NOT NULL DEFAULT 1;

CREATE TABLE "rule_versions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "rule_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "version" INTEGER,
    "yaml" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "rule_versions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rule_versions_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "rules"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "rule_versions_rule_id_revision_key" ON "rule_versions"("rule_id", "revision");

-- Every existing rule is its own first revision.
INSERT INTO "rule_versions" ("rule_id", "tenant_id", "revision", "version", "yaml", "definition", "created_at")
SELECT "id", "tenant_id", 1, "version", "yaml", "definition", "created_at" FROM "rules";

CREATE TYPE "FixtureKind" AS ENUM ('TRUE_POSITIVE', 'TRUE_NEGATIVE');

CREATE TABLE "rule_fixtures" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "rule_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "FixtureKind" NOT NULL,
    "log" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "rule_fixtures_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rule_fixtures_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "rules"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "rule_fixtures_rule_id_name_key" ON "rule_fixtures"("rule_id", "name");

ALTER TABLE "detections" ADD COLUMN "rule_revision" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "detection_contributions" ADD COLUMN "rule_revision" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "risk_events" ADD COLUMN "rule_revision" INTEGER NOT NULL DEFAULT 1;
CREATE INDEX "detections_tenant_id_rule_id_idx" ON "detections"("tenant_id", "rule_id");
