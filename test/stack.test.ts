/**
 * The test stack's record of what is stored: "nothing changed" must see a write to any
 * table, a table a later migration adds included, without anyone listing it.
 */
import * as schema from "@plugins/schema/tables";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNothingChanged, storedState } from "./attack-helpers";
import { BACKGROUND_TABLES, type Stack, startStack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  // What a new migration would do: a table no test file names.
  await stack.db.query("create table newcomer (id integer primary key)");
});
afterAll(() => stack?.stop());

const declared = Object.values(schema)
  .filter((value) => is(value, PgTable))
  .map((table) => getTableName(table));

describe("stack.snapshot() and storedState()", () => {
  it("count every table the schema declares, and one a migration added, beside the R2 objects", async () => {
    expect(declared).toHaveLength(14);
    const expected = [...declared, "newcomer"].sort();
    expect(await stack.tables()).toEqual(expected);
    expect(Object.keys(await stack.snapshot({ except: [] })).sort()).toEqual([...expected, "r2Objects"].sort());
    const state = await storedState(stack, { except: [] });
    expect(Object.keys(state.counts).sort()).toEqual([...expected, "r2Objects"].sort());
    expect(Object.keys(state.rows).sort()).toEqual(expected);
  });

  it("leave out only the tables written in the background unless told otherwise", async () => {
    expect(BACKGROUND_TABLES).toEqual(["download_counts"]);
    const expected = [...declared, "newcomer"].filter((table) => !BACKGROUND_TABLES.includes(table)).sort();
    expect(Object.keys(await stack.snapshot()).sort()).toEqual([...expected, "r2Objects"].sort());
    const state = await storedState(stack);
    expect(Object.keys(state.counts).sort()).toEqual([...expected, "r2Objects"].sort());
    expect(Object.keys(state.rows).sort()).toEqual(expected);
    // A flush landing mid-attempt is not the attempt's doing.
    await expectNothingChanged(stack, () =>
      stack.db.query(
        "insert into download_counts (plugin_id, version, day, count) values ('p', '1.0.0', '2026-01-01', 1)",
      ),
    );
  });

  it("leave out drizzle's migration journal, which lives in a schema of its own", async () => {
    const { rows } = await stack.db.query("select table_schema from information_schema.tables where table_name = $1", [
      "__drizzle_migrations",
    ]);
    expect(rows).toEqual([{ table_schema: "drizzle" }]);
    expect(await stack.tables()).not.toContain("__drizzle_migrations");
  });

  it.each([
    ["tenant_hosts", "insert into tenant_hosts (tenant_id, version, updated_by) values ('t', '1.0.0', 'x')"],
    [
      "host_extension_points",
      "insert into host_extension_points (tenant_id, name, contract_version) values ('t', 'slot', '1.0.0')",
    ],
    ["tenant_manifests", "insert into tenant_manifests (tenant_id, document, etag) values ('t', '{}', 'e')"],
    ["host_extension_points", "update host_extension_points set description = 'changed' where tenant_id = 't'"],
    ["newcomer", "insert into newcomer (id) values (1)"],
  ])("make expectNothingChanged fail on a write to %s (%s)", async (_, write) => {
    await expect(expectNothingChanged(stack, () => stack.db.query(write))).rejects.toThrow(/expected/);
  });

  it("leaves out the tables it is told to", async () => {
    const counts = await stack.snapshot({ except: ["download_counts", "newcomer"] });
    expect(Object.keys(counts)).not.toContain("download_counts");
    expect(Object.keys(counts)).not.toContain("newcomer");
    expect(Object.keys(counts)).toContain("plugins");
  });
});
