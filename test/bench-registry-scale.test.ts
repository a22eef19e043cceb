/**
 * The bench's registry at scale (scripts/bench/registry-scale.ts): the copies it seeds in bulk
 * SQL read exactly like the plugin and the tenant they are copied from, through the routes the
 * bench measures, and `rebuildReadModels` builds the read models of every one of them.
 */
import { strongEtag } from "@plugins/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  rebuildReadModels,
  type ScaleTemplate,
  seedCopies,
  seededPluginId,
  seededTenantId,
} from "../scripts/bench/registry-scale";
import { install, pluginMetadata, publish } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let signedIn: Record<string, string>;
const template: ScaleTemplate = { pluginId: "bench-plugin", tenantId: "bench" };
const COPIES = 30;

async function json(path: string): Promise<unknown> {
  const response = await fetch(`${stack.url}${path}`, { headers: signedIn });
  expect(response.status, path).toBe(200);
  return response.json();
}

/** `value` with the template's ids replaced by copy `n`'s, as a copy must read. */
/**
 * `value` as copy `n` holds it: the ids replaced; `unsigned`, a package document's versions are
 * too, since seedCopies leaves their signatures out (a signature names the plugin it was made
 * for). The manifests' copies keep the text of the template's, signatures included.
 */
function asCopy(value: unknown, n: number, { unsigned = false } = {}): unknown {
  const text = JSON.stringify(value)
    .replaceAll(`"tenantId":"${template.tenantId}"`, `"tenantId":"${seededTenantId(n)}"`)
    .replaceAll(template.pluginId, seededPluginId(n));
  return JSON.parse(text, (key, field) => (unsigned && key === "signature" ? null : field));
}

beforeAll(async () => {
  stack = await startStack();
  const token = await stack.token({ sub: "bench", role: "admin", tenant: template.tenantId });
  signedIn = { authorization: `Bearer ${token}` };
  await publish(stack, token, pluginMetadata({ id: template.pluginId }));
  const installed = await install(stack, token, template.tenantId, { pluginId: template.pluginId, activate: true });
  expect(installed.status).toBe(201);
  await seedCopies(stack.db, template, 1, COPIES);
});

afterAll(async () => {
  await stack?.stop();
});

describe("seedCopies", () => {
  it("copies the plugin with its versions, files and tags, and the tenant with its instance and manifest", async () => {
    const counts = await stack.db.query<{ table: string; count: string }>(
      `select 'plugins' as table, count(*) from plugins union all
       select 'plugin_versions', count(*) from plugin_versions union all
       select 'version_files', count(*) from version_files union all
       select 'dist_tags', count(*) from dist_tags union all
       select 'installations', count(*) from installations where status = 'active' union all
       select 'tenant_manifests', count(*) from tenant_manifests`,
    );
    expect(Object.fromEntries(counts.rows.map((row) => [row.table, Number(row.count)]))).toEqual({
      plugins: COPIES + 1,
      plugin_versions: COPIES + 1,
      version_files: COPIES + 1,
      dist_tags: COPIES + 1,
      installations: COPIES + 1,
      tenant_manifests: COPIES + 1,
    });
  });

  it.each([1, COPIES])("gives copy %i the original's package document and tenant manifest, ids replaced", async (n) => {
    const original = await json(`/api/plugins/${template.pluginId}`);
    expect(await json(`/api/plugins/${seededPluginId(n)}`)).toEqual(asCopy(original, n, { unsigned: true }));
    const manifest = await json(`/api/tenants/${template.tenantId}/plugins/manifest`);
    expect(await json(`/api/tenants/${seededTenantId(n)}/plugins/manifest`)).toEqual(asCopy(manifest, n));
    expect(JSON.stringify(manifest)).toContain(`/plugins/bundles/${template.pluginId}/v1.0.0/`);
  });

  it("stores each copy's manifest under the ETag the plugins worker computes for its text", async () => {
    const { rows } = await stack.db.query<{ text: string; etag: string }>(
      "select document::text as text, etag from tenant_manifests where tenant_id = $1",
      [seededTenantId(COPIES)],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.etag).toBe(await strongEtag(rows[0]?.text ?? ""));
  });
});

describe("rebuildReadModels", () => {
  it("builds every copy's package document and manifest in pages, reporting progress up to all", async () => {
    const progress: number[] = [];
    // The original plugin and tenant, and the copies.
    expect(await rebuildReadModels(stack.url, signedIn, "packages", (built) => progress.push(built))).toBe(COPIES + 1);
    expect(await rebuildReadModels(stack.url, signedIn, "tenant-manifests", (built) => progress.push(built))).toBe(
      COPIES + 1,
    );
    expect(progress.filter((built) => built === COPIES + 1)).toHaveLength(2);
    for (const key of [`packages/${seededPluginId(COPIES)}`, `tenants/${seededTenantId(COPIES)}/manifest`]) {
      expect(await stack.bucket.head(`~read-models/${key}`), key).not.toBeNull();
    }
  });

  it("fails naming the page that did not answer", async () => {
    const viewer = await stack.token({ sub: "watcher", role: "viewer", tenant: template.tenantId });
    await expect(
      rebuildReadModels(stack.url, { authorization: `Bearer ${viewer}` }, "packages", () => {}),
    ).rejects.toThrow(/readModels\.rebuild of packages after the start: Role 'viewer' may not do this/);
  });
});
