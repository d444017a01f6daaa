-- CrowdStrike aid → host name lookup per tenant (the aidmaster inventory), and richer upload outcomes.

CREATE TABLE "crowdstrike_hosts" (
    "tenant_id" UUID NOT NULL,
    "aid" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "crowdstrike_hosts_pkey" PRIMARY KEY ("tenant_id", "aid"),
    CONSTRAINT "crowdstrike_hosts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Some events could not be read, the others were stored and detected.
ALTER TYPE "UploadStatus" ADD VALUE 'SUCCEEDED_WITH_ERRORS' AFTER 'SUCCEEDED';

-- Well-formed events that are not process creations, counted per kind (e.g. {"sysmon:3": 12}).
ALTER TABLE "uploads" ADD COLUMN "skipped_by_kind" JSONB NOT NULL DEFAULT '{}';
