-- The triage queue's totalCount (detections with a status filter, suppressed ones left out, as
-- src/store/detections-query.ts asks by default) is answered by an index-only scan of this index.
-- With (tenant_id, status) alone, suppressed_into had to be read from the heap: counting 100,000
-- detections of a tenant read every heap page of them (83 ms as watchpost_app, 0.7 ms for the page
-- itself); through this index, with the visibility map set, 8 ms and no heap fetches.
CREATE INDEX "detections_open_tenant_id_status_idx" ON "detections"("tenant_id", "status") WHERE "suppressed_into" IS NULL;
