-- How many events each upload stored per hour of event time (src/store/event-hours.ts): a scan
-- reports the events it examined without counting them one by one — whole hours are read from
-- here, only the partial hours at a window's edges are counted in process_events.
CREATE TABLE "upload_event_hours" (
    "upload_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "events" INTEGER NOT NULL,
    CONSTRAINT "upload_event_hours_pkey" PRIMARY KEY ("upload_id", "hour"),
    CONSTRAINT "upload_event_hours_events_check" CHECK ("events" > 0),
    CONSTRAINT "upload_event_hours_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "uploads"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "upload_event_hours_tenant_id_hour_idx" ON "upload_event_hours"("tenant_id", "hour");

INSERT INTO "upload_event_hours" ("upload_id", "tenant_id", "hour", "events")
  SELECT "upload_id", "tenant_id", date_trunc('hour', "time"), count(*) FROM "process_events" GROUP BY 1, 2, 3;

CALL watchpost_isolate_by_tenant('upload_event_hours');
