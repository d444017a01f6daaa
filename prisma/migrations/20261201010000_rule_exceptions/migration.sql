-- Rule exceptions, as Elastic Security's exception items: events that meet every entry of an
-- exception are left out of a rule before grouping (src/detection/exceptions). rule_id names the
-- rule; null makes the exception shared: it applies to every rule of the tenant. An exception
-- whose expires_at has passed is kept but no longer applied.
--
-- entries is a JSON array of 1..20 objects {"field", "operator", "values"}: field one of the CIM
-- Endpoint.Processes fields (bare name, checked in code against the list), operator IS, IS_ONE_OF,
-- MATCHES or CONTAINS, values 1..1000 strings for IS_ONE_OF and exactly 1 otherwise, each 1..4096
-- characters. The check below enforces the shape and the sizes; the code gives the precise errors.
--
-- author is the name of the API key that created the exception (kept as it was then: keys are
-- revoked, not renamed) with its id in author_key_id, or 'cli' for the watchpost command;
-- updated_by likewise for the last change. Every change is also in the audit log.

CREATE FUNCTION watchpost_rule_exception_entries_valid(entries jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(entries) <> 'array' OR jsonb_array_length(entries) NOT BETWEEN 1 AND 20 THEN false
  ELSE NOT EXISTS (
    SELECT 1 FROM jsonb_array_elements(entries) AS e(entry)
    WHERE (CASE
      WHEN jsonb_typeof(entry) <> 'object' OR jsonb_typeof(entry -> 'values') IS DISTINCT FROM 'array' THEN false
      ELSE coalesce(entry ->> 'field', '') ~ '^[a-z_]{1,64}$'
        AND coalesce(entry ->> 'operator', '') IN ('IS', 'IS_ONE_OF', 'MATCHES', 'CONTAINS')
        AND jsonb_array_length(entry -> 'values') BETWEEN 1 AND (CASE WHEN entry ->> 'operator' = 'IS_ONE_OF' THEN 1000 ELSE 1 END)
        AND NOT EXISTS (
          SELECT 1 FROM jsonb_array_elements(entry -> 'values') AS v(value)
          WHERE jsonb_typeof(value) <> 'string' OR char_length(value #>> '{}') NOT BETWEEN 1 AND 4096
        )
    END) IS NOT TRUE
  ) END
$$;

CREATE TABLE "rule_exceptions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "rule_id" UUID,
    "entries" JSONB NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "comment" TEXT NOT NULL,
    "author" TEXT NOT NULL,
    "author_key_id" UUID,
    "updated_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "rule_exceptions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rule_exceptions_entries_check" CHECK (watchpost_rule_exception_entries_valid("entries")),
    CONSTRAINT "rule_exceptions_comment_check" CHECK (char_length("comment") BETWEEN 1 AND 2000),
    CONSTRAINT "rule_exceptions_author_check" CHECK (char_length("author") BETWEEN 1 AND 200 AND char_length("updated_by") BETWEEN 1 AND 200),
    CONSTRAINT "rule_exceptions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "rule_exceptions_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "rules"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- Loading a tenant's rules reads its exceptions: the shared ones and those of its rules.
CREATE INDEX "rule_exceptions_tenant_id_rule_id_idx" ON "rule_exceptions"("tenant_id", "rule_id");
CREATE INDEX "rule_exceptions_rule_id_idx" ON "rule_exceptions"("rule_id");

-- Row-level security, as for every table holding tenant data (20261130090000_row_level_security).
-- The application role's grants come from that migration's ALTER DEFAULT PRIVILEGES.
CALL watchpost_isolate_by_tenant('rule_exceptions');
