import type pg from 'pg'
import type { PrismaClient } from '../../src/db/prisma.js'
import { enableBundledRules } from '../../src/services/bundled-content.js'
import { createTenant } from '../../src/store/tenants.js'

/**
 * Stored detections for the GraphQL benchmark, written straight in SQL (generate_series: seconds,
 * where uploads would take many minutes): tenants with the bundled rules, each with `detections`
 * grouped detections spread over its rules, 400 hosts, 300 users and five weeks, in every triage
 * status (two in five NEW, one ACKNOWLEDGED, two closed; closed and acknowledged ones assigned), and
 * the risk events the workers would write for them: one for the user and one for the host, scored
 * 20..83, carrying the rule's ATT&CK techniques. Detections carry the 21 BY fields of an ESCU rule.
 */

export interface SeededTenant {
  readonly id: string
  readonly apiKey: string
  readonly detections: number
}

const NOW = '2026-03-31T12:00:00Z'

const INSERT_DETECTIONS = `
INSERT INTO detections (tenant_id, rule_id, rule_revision, group_key, fields, count, first_time, last_time, status, assignee, status_changed_at)
SELECT $1, r.ids[1 + i % cardinality(r.ids)], 1, 'bench|' || i,
       json_build_object(
         'action', 'allowed', 'dest', 'WS-' || (i * 7 % 400) || '.corp.example.com', 'user', 'CORP\\user' || (i * 13 % 300),
         'process', 'powershell.exe -nop -w hidden -enc ' || md5(i::text), 'process_name', 'powershell.exe',
         'process_path', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'process_guid', '{' || md5('g' || i) || '}',
         'process_id', (1000 + i % 60000)::text, 'process_exec', 'powershell.exe', 'process_current_directory', 'C:\\Users\\Public\\',
         'process_integrity_level', 'medium', 'process_hash', 'SHA256=' || md5('h' || i) || md5('k' || i),
         'parent_process', '"C:\\Windows\\explorer.exe"', 'parent_process_name', 'explorer.exe', 'parent_process_path', 'C:\\Windows\\explorer.exe',
         'parent_process_guid', '{' || md5('p' || i) || '}', 'parent_process_id', (500 + i % 9000)::text, 'parent_process_exec', 'explorer.exe',
         'user_id', 'S-1-5-21-' || (i * 13 % 300), 'vendor_product', 'Microsoft Sysmon', 'original_file_name', 'PowerShell.EXE'),
       1 + i % 9,
       $2::timestamptz - make_interval(secs => (i * 7919 % $3) * 30) - interval '5 minutes',
       $2::timestamptz - make_interval(secs => (i * 7919 % $3) * 30),
       (ARRAY['NEW', 'NEW', 'ACKNOWLEDGED', 'CLOSED_TRUE_POSITIVE', 'CLOSED_FALSE_POSITIVE'])[1 + i % 5]::"DetectionStatus",
       CASE WHEN i % 5 >= 2 THEN 'analyst' || (i % 7) END,
       $2
FROM generate_series(1, $3) AS i, (SELECT array_agg(id ORDER BY escu_id) AS ids FROM rules WHERE tenant_id = $1) AS r`

const INSERT_RISK_EVENTS = `
INSERT INTO risk_events (tenant_id, detection_id, upload_id, rule_id, rule_revision, risk_object, risk_object_type, risk_score, risk_message, threat_objects, mitre_techniques, time)
SELECT d.tenant_id, d.id, $2, d.rule_id, 1, o.object, o.type, 20 + (hashtext(d.group_key) & 63),
       'An encoded PowerShell command ran on ' || (d.fields->>'dest') || ' by ' || (d.fields->>'user') || '.',
       '[{"type": "process_name", "value": "powershell.exe"}]', r.techniques, d.last_time
FROM detections d
JOIN (SELECT id, ARRAY(SELECT jsonb_array_elements_text(definition->'tags'->'mitreAttackIds')) AS techniques FROM rules) r ON r.id = d.rule_id
CROSS JOIN LATERAL (VALUES (d.fields->>'user', 'user'), (d.fields->>'dest', 'system')) AS o(object, type)
WHERE d.tenant_id = $1`

/** Seeds one tenant (as the database owner, so row-level security does not apply to the seeding). */
export async function seedTenant(prisma: PrismaClient, owner: pg.ClientBase, name: string, detections: number): Promise<SeededTenant> {
  const { tenant, apiKey } = await createTenant(prisma, name)
  await enableBundledRules(prisma, tenant.id, null)
  const upload = await owner.query<{ id: string }>("INSERT INTO uploads (tenant_id, file_name, status) VALUES ($1, 'bench.xml', 'SUCCEEDED') RETURNING id", [tenant.id])
  await owner.query(INSERT_DETECTIONS, [tenant.id, NOW, detections])
  await owner.query(INSERT_RISK_EVENTS, [tenant.id, upload.rows[0]!.id])
  return { id: tenant.id, apiKey, detections }
}
