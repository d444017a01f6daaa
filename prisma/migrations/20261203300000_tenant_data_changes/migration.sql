-- Postgres announces every statement that changes a tenant's detections, rules or risk events, so
-- that API processes can answer repeated queries from memory and know when not to
-- (src/graphql/response-cache). NOTIFY is transactional: a notification is delivered when the
-- writing transaction commits, never for one rolled back, and repeats of one payload in a
-- transaction are delivered once.
--
-- The payload is the tenant the writer works for, read from the scope every pooled connection
-- carries (src/db/pool.ts): under row-level security a statement in a tenant's scope can only
-- have changed that tenant's rows. A writer with the system scope or without any (retention
-- sweeps, tenant deletion, the CLI, migrations, a database owner) may have changed any tenant's
-- rows, and announces '*'.
CREATE FUNCTION "watchpost_announce_tenant_data_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('watchpost_tenant_data', CASE
    WHEN current_setting('watchpost.system', true) IS DISTINCT FROM 'off' THEN '*'
    ELSE coalesce(nullif(current_setting('watchpost.tenant_id', true), ''), '*')
  END);
  RETURN NULL;
END $$;

CREATE TRIGGER "detections_announce_change" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "detections"
  FOR EACH STATEMENT EXECUTE FUNCTION "watchpost_announce_tenant_data_change"();
CREATE TRIGGER "rules_announce_change" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "rules"
  FOR EACH STATEMENT EXECUTE FUNCTION "watchpost_announce_tenant_data_change"();
CREATE TRIGGER "risk_events_announce_change" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "risk_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "watchpost_announce_tenant_data_change"();
