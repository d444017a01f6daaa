-- Limits the operator sets per tenant (`watchpost tenant limits`), overriding the deployment's
-- defaults: the largest accepted upload in bytes; null means MAX_UPLOAD_BYTES applies.
ALTER TABLE "tenants" ADD COLUMN "max_upload_bytes" BIGINT;
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_max_upload_bytes_check" CHECK ("max_upload_bytes" > 0);
