-- Alert suppression and a cap on new detections per run, per rule (src/store/detection-alerting.ts),
-- as Elastic's rule settings: detections of a rule that share the values of up to 3 BY fields
-- within a time window are kept, but suppressed into the first one, which counts them.

ALTER TABLE "rules"
  ADD COLUMN "suppress_by" TEXT[] NOT NULL DEFAULT '{}',
  ADD COLUMN "suppress_window_seconds" INTEGER,
  ADD COLUMN "max_detections_per_run" INTEGER,
  ADD CONSTRAINT "rules_suppress_by_check" CHECK (cardinality("suppress_by") <= 3),
  ADD CONSTRAINT "rules_suppression_window_check" CHECK (
    (cardinality("suppress_by") = 0) = ("suppress_window_seconds" IS NULL)
    AND ("suppress_window_seconds" IS NULL OR "suppress_window_seconds" BETWEEN 60 AND 2592000)),
  ADD CONSTRAINT "rules_max_detections_per_run_check" CHECK ("max_detections_per_run" IS NULL OR "max_detections_per_run" BETWEEN 1 AND 1000000);

-- The first detection of the same rule and suppression values (within the window) this one is suppressed into.
ALTER TABLE "detections" ADD COLUMN "suppressed_into" UUID,
  ADD CONSTRAINT "detections_suppressed_into_fkey" FOREIGN KEY ("suppressed_into") REFERENCES "detections"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE INDEX "detections_suppressed_into_idx" ON "detections"("suppressed_into");

-- New detections a run left out because of a rule's cap, per rule id: {"<rule id>": n}.
ALTER TABLE "uploads" ADD COLUMN "detections_overflow" JSONB NOT NULL DEFAULT '{}';
