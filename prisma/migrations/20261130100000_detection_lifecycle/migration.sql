-- Detections as a lifecycle: a triage status, an assignee and a comment thread per detection.
--
-- status: NEW (default) → ACKNOWLEDGED → CLOSED_TRUE_POSITIVE | CLOSED_FALSE_POSITIVE; any move is
-- allowed (an analyst may reopen by hand). status_changed_at is when status last changed (for rows
-- that existed before this migration, their creation time). The detection writer reopens a
-- detection closed as a true positive when a later upload adds events to it (status back to NEW,
-- with a comment by "watchpost"); one closed as a false positive stays closed.

CREATE TYPE "DetectionStatus" AS ENUM ('NEW', 'ACKNOWLEDGED', 'CLOSED_TRUE_POSITIVE', 'CLOSED_FALSE_POSITIVE');

ALTER TABLE "detections"
    ADD COLUMN "status" "DetectionStatus" NOT NULL DEFAULT 'NEW',
    -- Free text (an analyst's name or e-mail), 1..200 characters; null: unassigned.
    ADD COLUMN "assignee" TEXT,
    ADD COLUMN "status_changed_at" TIMESTAMPTZ(3),
    ADD CONSTRAINT "detections_assignee_check" CHECK ("assignee" IS NULL OR char_length("assignee") BETWEEN 1 AND 200);

UPDATE "detections" SET "status_changed_at" = "created_at";
ALTER TABLE "detections"
    ALTER COLUMN "status_changed_at" SET NOT NULL,
    ALTER COLUMN "status_changed_at" SET DEFAULT CURRENT_TIMESTAMP;

-- The triage queue: a tenant's detections by status.
CREATE INDEX "detections_tenant_id_status_idx" ON "detections"("tenant_id", "status");

-- Comments on a detection, oldest first. author is the name of the API key that wrote it (kept
-- as it was then: keys are revoked, not renamed) with its id in author_key_id; comments written by
-- Watchpost itself (a reopened detection) have author 'watchpost' and no key.
CREATE TABLE "detection_comments" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "detection_id" UUID NOT NULL,
    "author" TEXT NOT NULL,
    "author_key_id" UUID,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "detection_comments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "detection_comments_body_check" CHECK (char_length("body") BETWEEN 1 AND 10000),
    CONSTRAINT "detection_comments_detection_id_fkey" FOREIGN KEY ("detection_id") REFERENCES "detections"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "detection_comments_detection_id_created_at_idx" ON "detection_comments"("detection_id", "created_at");
CREATE INDEX "detection_comments_tenant_id_idx" ON "detection_comments"("tenant_id");

-- Row-level security, as for every table holding tenant data (20261130090000_row_level_security).
-- The application role's grants come from that migration's ALTER DEFAULT PRIVILEGES.
CALL watchpost_isolate_by_tenant('detection_comments');
