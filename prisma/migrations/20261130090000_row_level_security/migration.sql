-- Row-level security: the second layer of tenant isolation, under the tenant filters in code.
--
-- The service switches every connection to the role watchpost_app (not a superuser, no
-- BYPASSRLS, owner of nothing) and sets, per checkout, the scope of the code that asked for it:
--   watchpost.tenant_id = '<uuid>'  only that tenant's rows
--   watchpost.system    = 'on'      every tenant's rows (operator, authentication, schedules)
-- neither: no tenant rows at all. FORCE makes the policies bind the tables' owner too, so only
-- a superuser sees around them; the migration runner sets watchpost.system for its own session.
--
-- Every table added later that holds tenant data must get the same policy in its migration
-- (CALL watchpost_isolate_by_tenant, below); test/integration/row-level-security.test.ts fails
-- for a table without one.

DO $$
BEGIN
  -- Roles belong to the cluster, not the database: another database may have created it already.
  CREATE ROLE watchpost_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

-- The migrating user may switch to the role (a superuser always can; a plain owner needs this).
GRANT watchpost_app TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO watchpost_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO watchpost_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO watchpost_app;
-- The migration ledger: readable (readiness reports pending migrations), never writable.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "_prisma_migrations" FROM watchpost_app;
-- Tables created by later migrations are reachable by the role too (their policies are not automatic).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO watchpost_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO watchpost_app;

-- The one definition of the tenant policy: this migration and every later one that adds a table
-- holding tenant data call it (CALL watchpost_isolate_by_tenant('the_table')), so the expression
-- is never copied. Only the migrating user runs it.
CREATE PROCEDURE watchpost_isolate_by_tenant(tbl regclass, tenant_column name DEFAULT 'tenant_id')
LANGUAGE plpgsql AS $$
DECLARE
  visible text := format(
    'current_setting(''watchpost.system'', true) = ''on'' OR %I = NULLIF(current_setting(''watchpost.tenant_id'', true), '''')::uuid',
    tenant_column
  );
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', tbl, visible, visible);
END
$$;
REVOKE EXECUTE ON PROCEDURE watchpost_isolate_by_tenant(regclass, name) FROM PUBLIC;

-- Every table with a tenant_id column.
DO $$
DECLARE
  t text;
BEGIN
  FOR t IN
    SELECT c.table_name FROM information_schema.columns c
    JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
    WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND tb.table_type = 'BASE TABLE'
  LOOP
    CALL watchpost_isolate_by_tenant(quote_ident(t)::regclass);
  END LOOP;
END
$$;

-- The tenants themselves: a tenant sees its own row.
CALL watchpost_isolate_by_tenant('tenants', 'id');

-- Upload chunks belong to their upload: visible (and writable) exactly when the upload is, since
-- the subquery on uploads is itself filtered by the uploads policy.
ALTER TABLE "upload_chunks" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "upload_chunks" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "upload_chunks"
  USING (EXISTS (SELECT 1 FROM "uploads" u WHERE u.id = upload_id))
  WITH CHECK (EXISTS (SELECT 1 FROM "uploads" u WHERE u.id = upload_id));
