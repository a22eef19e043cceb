/**
 * Grows the bench's registry to thousands of plugins and tenants, so the reads can be measured
 * at a real data volume. The rows are copied in bulk SQL from the plugin the bench published
 * and the tenant it installed it for: publishing and installing 10,000 of each through the API
 * would take many minutes, and copies of a real publish hold exactly what one holds (the
 * version, its files, `latest`, an active instance, the tenant's stored manifest), only under
 * other ids. Their bundle bytes are not copied to R2: the reads measured here never open them.
 */

import type pg from "pg";

/** The plugin and the tenant (which installed it) whose rows are copied. */
export interface ScaleTemplate {
  pluginId: string;
  tenantId: string;
}

/** Copy `n`'s ids: one plugin, and one tenant that installed it. */
export function seededPluginId(n: number): string {
  return `seed-plugin-${String(n).padStart(5, "0")}`;
}
export function seededTenantId(n: number): string {
  return `seed-tenant-${String(n).padStart(5, "0")}`;
}

/**
 * The statements that copy the template (in the temporary table `seed_template`) into the ids
 * of `seed_ids`. An instance id keeps its name with the plugin id in it replaced, as in the
 * manifest; the manifest is the template's stored text with the ids replaced, and its ETag is
 * computed as the plugins worker computes it (the first 128 bits of the text's SHA-256, quoted),
 * so a copy reads exactly like an original.
 */
const COPY_STATEMENTS = [
  `insert into plugins (id, name, description, category, extension_points, owner_id, created_at, updated_at)
     select s.plugin, p.name, p.description, p.category, p.extension_points, p.owner_id, p.created_at, p.updated_at
     from plugins p join seed_template t on p.id = t.plugin, seed_ids s`,
  `insert into plugin_versions (plugin_id, version, manifest, entry, file_count, size, content_digest, integrity,
       status, status_reason, deprecation_message, deprecation_replacement, published_at, published_by)
     select s.plugin, v.version, jsonb_set(v.manifest, '{id}', to_jsonb(s.plugin)), v.entry, v.file_count, v.size,
       v.content_digest, v.integrity, v.status, v.status_reason, v.deprecation_message, v.deprecation_replacement,
       v.published_at, v.published_by
     from plugin_versions v join seed_template t on v.plugin_id = t.plugin, seed_ids s`,
  `insert into version_files (plugin_id, version, path, size, content_type, sha256, integrity)
     select s.plugin, f.version, f.path, f.size, f.content_type, f.sha256, f.integrity
     from version_files f join seed_template t on f.plugin_id = t.plugin, seed_ids s`,
  `insert into dist_tags (plugin_id, tag, version, explicit, updated_at)
     select s.plugin, d.tag, d.version, d.explicit, d.updated_at
     from dist_tags d join seed_template t on d.plugin_id = t.plugin, seed_ids s`,
  `insert into installations (tenant_id, instance_id, plugin_id, version, previous_version, update_policy, status,
       revision, config, sealed_secrets, secrets_set, installed_by, installed_at, updated_at, uninstalled_at)
     select s.tenant, replace(i.instance_id, t.plugin, s.plugin), s.plugin, i.version, i.previous_version,
       i.update_policy, i.status, i.revision, i.config, i.sealed_secrets, i.secrets_set, i.installed_by,
       i.installed_at, i.updated_at, i.uninstalled_at
     from installations i join seed_template t on i.tenant_id = t.tenant and i.plugin_id = t.plugin, seed_ids s`,
  `insert into tenant_manifests (tenant_id, document, etag, generated_at)
     select s.tenant, c.text::json, '"' || left(encode(sha256(convert_to(c.text, 'UTF8')), 'hex'), 32) || '"',
       m.generated_at
     from tenant_manifests m join seed_template t on m.tenant_id = t.tenant, seed_ids s,
       lateral (select replace(
         replace(m.document::text, '"tenantId":' || to_json(t.tenant)::text, '"tenantId":' || to_json(s.tenant)::text),
         t.plugin, s.plugin) as text) c`,
];

/**
 * Copies the template into copies `from`..`to` (inclusive) in one transaction on `client`, then
 * refreshes the planner's statistics, as autovacuum would on a registry that grew over time.
 */
export async function seedCopies(client: pg.ClientBase, template: ScaleTemplate, from: number, to: number) {
  const copies = Array.from({ length: to - from + 1 }, (_, index) => from + index);
  await client.query("begin");
  try {
    await client.query(
      "create temporary table seed_template on commit drop as select $1::text as plugin, $2::text as tenant",
      [template.pluginId, template.tenantId],
    );
    await client.query(
      "create temporary table seed_ids on commit drop as select unnest($1::text[]) as plugin, unnest($2::text[]) as tenant",
      [copies.map(seededPluginId), copies.map(seededTenantId)],
    );
    for (const statement of COPY_STATEMENTS) await client.query(statement);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  }
  await client.query("analyze plugins, plugin_versions, version_files, dist_tags, installations, tenant_manifests");
}

/** Documents per `readModels.rebuild` call: its most. */
const PAGE = 500;

export type ReadModelKind = "packages" | "tenant-manifests";

type RebuildAnswer = {
  result?: { data: { rebuilt: number; next: string | null } };
  error?: { message: string };
};

/**
 * Builds every read model of `kind` ahead of the reads, page by page through the gateway's
 * `readModels.rebuild` (an admin's `headers`), as an operator backfills them: each copy seeded
 * in SQL has none yet. `progress` hears how many were built so far. Fails naming the page that
 * did not answer.
 */
export async function rebuildReadModels(
  origin: string,
  headers: Record<string, string>,
  kind: ReadModelKind,
  progress: (built: number) => void,
): Promise<number> {
  let built = 0;
  let cursor: string | undefined;
  do {
    const response = await fetch(`${origin}/trpc/readModels.rebuild`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ kind, limit: PAGE, cursor }),
    });
    const answer = (await response.json()) as RebuildAnswer;
    if (!answer.result) {
      throw new Error(`readModels.rebuild of ${kind} after ${cursor ?? "the start"}: ${answer.error?.message}`);
    }
    built += answer.result.data.rebuilt;
    progress(built);
    cursor = answer.result.data.next ?? undefined;
  } while (cursor);
  return built;
}
