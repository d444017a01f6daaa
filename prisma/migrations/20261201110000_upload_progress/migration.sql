-- Live progress of a running upload job (LogUpload.progress): the worker writes the events read so
-- far beside bytes_processed, and when it wrote both, outside its transaction and about once a
-- second; rates and the ETA are computed from these and started_at when read.
ALTER TABLE "uploads" ADD COLUMN "events_processed" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "uploads" ADD COLUMN "progress_at" TIMESTAMPTZ(3);
