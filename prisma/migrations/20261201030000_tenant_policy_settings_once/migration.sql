-- The tenant policy reads the request's scope once per query instead of once per row.
--
-- current_setting() is STABLE, not a constant, so in the policy of 20261130090000_row_level_security
-- it ran twice for every row a query looked at. Scans that count or aggregate a tenant's rows paid
-- for it: counting 100,000 detections took about five times as long as the same index-only scan
-- without the policy. Wrapped in scalar subqueries, each setting becomes an InitPlan, evaluated once
-- per query. The policy means exactly the same: the settings cannot change while one query runs.
--
-- watchpost_tenant_policy() is now the one definition of the expression: the procedure that later
-- migrations call for their tables uses it, and every policy it created so far is rewritten with it.

CREATE FUNCTION watchpost_tenant_policy(tenant_column name) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    '(SELECT current_setting(''watchpost.system'', true)) = ''on'' OR %I = (SELECT NULLIF(current_setting(''watchpost.tenant_id'', true), '''')::uuid)',
    tenant_column
  )
$$;
REVOKE EXECUTE ON FUNCTION watchpost_tenant_policy(name) FROM PUBLIC;

CREATE OR REPLACE PROCEDURE watchpost_isolate_by_tenant(tbl regclass, tenant_column name DEFAULT 'tenant_id')
LANGUAGE plpgsql AS $$
DECLARE
  visible text := watchpost_tenant_policy(tenant_column);
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', tbl, visible, visible);
END
$$;

-- Every policy the procedure made (upload_chunks has its own, through uploads, and keeps it). The
-- tenant column is tenant_id, or id for the tenants table itself.
DO $$
DECLARE
  p record;
  visible text;
BEGIN
  FOR p IN
    SELECT pol.polrelid::regclass AS tbl,
           CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = pol.polrelid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                THEN 'tenant_id' ELSE 'id' END AS tenant_column
    FROM pg_policy pol
    WHERE pol.polname = 'tenant_isolation' AND pg_get_expr(pol.polqual, pol.polrelid) LIKE '%current_setting(''watchpost.tenant_id''%'
  LOOP
    visible := watchpost_tenant_policy(p.tenant_column);
    EXECUTE format('ALTER POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', p.tbl, visible, visible);
  END LOOP;
END
$$;
