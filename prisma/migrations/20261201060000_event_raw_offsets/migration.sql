-- Where each stored event's own text is in its upload: the byte offset and length of its
-- `<Event>…</Event>` or JSON object in the decompressed upload (in the upload's own encoding), as
-- the reader found it. The drilldown reads just those bytes back from upload_chunks as the event's
-- raw text. Null for events stored before this migration: their raw text is not known.

ALTER TABLE "process_events"
  ADD COLUMN "raw_offset" BIGINT,
  ADD COLUMN "raw_length" INTEGER,
  ADD CONSTRAINT "process_events_raw_span_check" CHECK (
    ("raw_offset" IS NULL) = ("raw_length" IS NULL) AND ("raw_offset" IS NULL OR ("raw_offset" >= 0 AND "raw_length" > 0)));
