import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bytes, tarGz, utf8 } from "./archive-fixtures";
import { bearer, expectNothingChanged, expectTrpcShape, type TrpcErrorBody, trpcPost } from "./attack-helpers";
import { expectError, install, pluginMetadata, publish, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * How deeply a JSON input may nest (32 levels below the object
 * carrying the fields), and how many parts a publish upload may have (3), both refused
 * before anything walks or parses the whole input.
 */

let stack: Stack;
let alice: string;
let admin: string;

/** `depth` nested arrays as JSON text, built without recursion. */
function nestedArrays(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** A plugin whose config schema takes any value under `x`, so only the depth can refuse it. */
const OPEN_CONFIG = { type: "object", properties: { x: {} } };

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.token({ sub: "alice", role: "editor", tenant: "acme" });
  admin = await stack.token({ sub: "root", role: "admin" });
  await publish(stack, alice, pluginMetadata({ id: "open", config: OPEN_CONFIG }));
});
afterAll(() => stack?.stop());

describe("JSON nested too deeply is refused with 400 naming the limit, and changes nothing", () => {
  // The reported install: about 10,000 nested arrays, 20 KB, well under the 64 KiB config cap.
  const deepConfig = `{"x":${nestedArrays(10_000)}}`;

  it("an install through tRPC whose config nests 10,000 arrays", async () => {
    const message = await expectNothingChanged(stack, async () =>
      expectTrpcShape(
        await trpcPost(
          stack,
          "installations.install",
          `{"tenantId":"acme","pluginId":"open","config":${deepConfig}}`,
          bearer(alice),
        ),
        400,
        "BAD_REQUEST",
        "installations.install",
      ),
    );
    expect(message).toMatch(/nests deeper than 32 levels/);
  });

  it("the same install through REST /api/plugins/install", async () => {
    const message = await expectNothingChanged(stack, async () =>
      expectError(
        await install(stack, alice, "acme", `{"pluginId":"open","config":${deepConfig}}`),
        400,
        "BAD_REQUEST",
      ),
    );
    expect(message).toMatch(/^config: nests deeper than 32 levels/);
  });

  it("a config of 100,000 levels, where serializing it would overflow any stack, is refused the same way", async () => {
    const deeper = `{"pluginId":"open","config":{"x":${nestedArrays(100_000)}}}`;
    await expectNothingChanged(stack, async () =>
      expect(await expectError(await install(stack, alice, "acme", deeper), 400, "BAD_REQUEST")).toMatch(/32 levels/),
    );
  });

  it("counts the limit exactly: a config of 32 levels installs, one of 33 does not", async () => {
    // The config object is the first level, the arrays under x the other 31 (or 32).
    const config = (arrays: number) => `{"x":${nestedArrays(arrays)}}`;
    await expectNothingChanged(stack, async () =>
      expectError(
        await install(stack, alice, "acme", `{"pluginId":"open","instanceId":"too-deep","config":${config(32)}}`),
        400,
        "BAD_REQUEST",
      ),
    );
    const response = await install(
      stack,
      alice,
      "acme",
      `{"pluginId":"open","instanceId":"deep-enough","config":${config(31)}}`,
    );
    expect(response.status, await response.clone().text()).toBe(201);
    const status = await fetch(`${stack.url}/api/plugins/status/deep-enough`, {
      headers: { ...bearer(alice), "x-tenant-id": "acme" },
    });
    expect(status.status).toBe(200);
    expect(JSON.stringify(((await status.json()) as { config: unknown }).config)).toBe(config(31));
  });

  it("a deep tRPC GET input (a query's ?input=), alone or as one call of a batch", async () => {
    const deepQuery = `{"query":"x","filters":${nestedArrays(40)}}`;
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/trpc/plugins.search?input=${encodeURIComponent(deepQuery)}`);
      expect(await expectTrpcShape(response, 400, "BAD_REQUEST", "plugins.search")).toMatch(/32 levels/);
    });
    const batch = await fetch(
      `${stack.url}/trpc/plugins.get,plugins.search?batch=1&input=${encodeURIComponent(`{"0":{"pluginId":"open"},"1":${deepQuery}}`)}`,
    );
    const [found, refused] = (await batch.json()) as [{ result?: unknown }, TrpcErrorBody];
    expect(found.result).toBeDefined();
    expect(refused.error.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400, path: "plugins.search" });
    expect(refused.error.message).toMatch(/32 levels/);
  });

  it("a deep tRPC POST input (a mutation's body)", async () => {
    await expectNothingChanged(stack, async () => {
      const body = `{"tenantId":"acme","version":"1.0.0","extensionPoints":[{"name":"a","contractVersion":"1.0.0","description":${nestedArrays(5_000)}}]}`;
      const message = await expectTrpcShape(
        await trpcPost(stack, "hosts.register", body, bearer(alice)),
        400,
        "BAD_REQUEST",
        "hosts.register",
      );
      expect(message).toMatch(/^input: a field nests deeper than 32 levels/);
    });
  });

  it("a deep manifest at publish: metadata beside a single file, or plugin.json in an archive", async () => {
    const deepSchema = `{"type":"object","properties":{"x":{"default":${nestedArrays(10_000)}}}}`;
    const metadata = JSON.stringify(pluginMetadata({ id: "deep-manifest" })).replace(/}$/, `,"config":${deepSchema}}`);
    await expectNothingChanged(stack, async () => {
      const message = await expectError(await upload(stack, { token: alice, metadata }), 400, "BAD_REQUEST");
      expect(message).toMatch(/^metadata: a field nests deeper than 32 levels/);
    });
    const archive = await tarGz([
      { path: "plugin.json", bytes: utf8(metadata) },
      { path: "index.js", bytes: utf8("export default 1;\n") },
    ]);
    await expectNothingChanged(stack, async () => {
      const message = await expectError(
        await upload(stack, { token: alice, file: archive, metadata: null }),
        400,
        "BAD_REQUEST",
      );
      expect(message).toMatch(/^plugin\.json: a field nests deeper than 32 levels/);
    });
  });
});

describe("a write whose answer cannot be sent commits nothing", () => {
  it("a stop of an instance stored (before this limit) with a config too deep to serialize: 500, and it still runs", async () => {
    await publish(stack, alice, pluginMetadata({ id: "legacy", config: OPEN_CONFIG }));
    await stack.db.query(
      `insert into installations (tenant_id, instance_id, plugin_id, version, status, config, installed_by)
       values ('legacy-tenant', 'legacy', 'legacy', '1.0.0', 'active', $1::jsonb, 'root')`,
      [`{"x":${nestedArrays(10_000)}}`],
    );
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/api/plugins/stop/legacy`, {
        method: "POST",
        headers: { ...bearer(admin), "x-tenant-id": "legacy-tenant" },
      });
      await expectError(response, 500, "INTERNAL_SERVER_ERROR");
    });
    const { rows } = await stack.db.query("select status, revision from installations where instance_id = 'legacy'");
    expect(rows).toEqual([{ status: "active", revision: 1 }]);
  });
});

describe("a multipart upload with more parts than an upload has is refused before it is parsed", () => {
  const BOUNDARY = "zz";

  /** file, metadata, then `extra` tiny parts: a valid publish but for the part count. */
  function flood(extra: number): Bytes {
    const part = (name: string, value: string, filename?: string) =>
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n\r\n${value}\r\n`;
    const head =
      part("file", "export default function activate() {}\n", "plugin.js") +
      part("metadata", JSON.stringify(pluginMetadata({ id: "flooded" })));
    return utf8(`${head}${part("x", "").repeat(extra)}--${BOUNDARY}--\r\n`);
  }

  const headers = (token: string) => ({
    ...bearer(token),
    "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
  });

  it("200,000 tiny parts within the 12 MiB body cap, through REST: 400 naming the limit, promptly", async () => {
    const body = flood(200_000);
    expect(body.byteLength).toBeLessThan(12 * 1024 * 1024);
    await expectNothingChanged(stack, async () => {
      const started = performance.now();
      const response = await fetch(`${stack.url}/api/plugins/upload`, {
        method: "POST",
        headers: headers(alice),
        body,
      });
      const message = await expectError(response, 400, "BAD_REQUEST");
      expect(message).toMatch(/more than 3 parts/);
      // Parsing the parts took 2 to 2.5 s; counting them takes a byte search.
      expect(performance.now() - started).toBeLessThan(1_000);
    });
  });

  it("the same body sent straight to /trpc/plugins.publish, which the gateway does not parse", async () => {
    await expectNothingChanged(stack, async () => {
      const started = performance.now();
      const response = await fetch(`${stack.url}/trpc/plugins.publish`, {
        method: "POST",
        headers: headers(alice),
        body: flood(200_000),
      });
      expect(await expectTrpcShape(response, 400, "BAD_REQUEST", "plugins.publish")).toMatch(/more than 3 parts/);
      expect(performance.now() - started).toBeLessThan(1_000);
    });
  });

  it("counts exactly: one part past file, metadata and tag is refused on both routes", async () => {
    await expectNothingChanged(stack, async () => {
      const rest = await fetch(`${stack.url}/api/plugins/upload`, {
        method: "POST",
        headers: headers(alice),
        body: flood(2),
      });
      expect(await expectError(rest, 400, "BAD_REQUEST")).toMatch(/more than 3 parts/);
      const direct = await fetch(`${stack.url}/trpc/plugins.publish`, {
        method: "POST",
        headers: headers(alice),
        body: flood(2),
      });
      await expectTrpcShape(direct, 400, "BAD_REQUEST", "plugins.publish");
    });
    const published = await fetch(`${stack.url}/api/plugins/upload`, {
      method: "POST",
      headers: headers(alice),
      body: flood(1),
    });
    expect(published.status, await published.clone().text()).toBe(201);
  });
});

describe("a multipart upload whose boundary is read as a media type parameter, so no trick hides its parts", () => {
  /** file, metadata, then `extra` tiny parts, delimited by `boundary`, after `preamble`. */
  function parts(boundary: string, extra: number, preamble = ""): Bytes {
    const part = (name: string, value: string, filename?: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n\r\n${value}\r\n`;
    const head =
      part("file", "export default function activate() {}\n", "plugin.js") +
      part("metadata", JSON.stringify(pluginMetadata({ id: "tricked" })));
    return utf8(`${preamble}${head}${part("x", "").repeat(extra)}--${boundary}--\r\n`);
  }

  // Each of these published before (200 through /trpc, refused by REST only after its form
  // parser had split every part): the count looked for another delimiter than the parser's.
  const tricks: Array<[string, string, Bytes, RegExp]> = [
    [
      "a quoted-pair in the boundary",
      'multipart/form-data; boundary="ab\\cd"',
      parts("abcd", 150_000),
      /more than 3 parts/,
    ],
    [
      "a boundary= inside another parameter's quoted value",
      'multipart/form-data; x="; boundary=zzz"; boundary=real',
      parts("real", 150_000),
      /more than 3 parts/,
    ],
    [
      "a quoted boundary of 80 characters",
      `multipart/form-data; boundary="${"b".repeat(80)}"`,
      parts("b".repeat(80), 50_000),
      /1 to 70 characters/,
    ],
    [
      "a boundary declared twice",
      "multipart/form-data; boundary=one; boundary=two",
      parts("one", 150_000),
      /more than once/,
    ],
    [
      "a preamble without a line break",
      "multipart/form-data; boundary=pre",
      parts("pre", 2, "junk"),
      /more than 3 parts/,
    ],
  ];

  const routes: Array<[string, string, (response: Response) => Promise<string>]> = [
    ["REST", "/api/plugins/upload", (response) => expectError(response, 400, "BAD_REQUEST")],
    [
      "/trpc/plugins.publish",
      "/trpc/plugins.publish",
      (response) => expectTrpcShape(response, 400, "BAD_REQUEST", "plugins.publish"),
    ],
  ];

  for (const [route, path, expectRefusal] of routes) {
    it.each(tricks)(
      `${route}, %s: 400 naming the cause, promptly, nothing stored`,
      async (_, contentType, body, cause) => {
        await expectNothingChanged(stack, async () => {
          const started = performance.now();
          const response = await fetch(`${stack.url}${path}`, {
            method: "POST",
            headers: { ...bearer(alice), "content-type": contentType },
            body,
          });
          expect(await expectRefusal(response)).toMatch(cause);
          expect(performance.now() - started).toBeLessThan(1_000);
        });
      },
    );
  }

  it("an upload as clients send it, its boundary quoted or not, still publishes", async () => {
    for (const [index, contentType] of [
      'multipart/form-data; boundary="a b"',
      "multipart/form-data; boundary=a",
    ].entries()) {
      const body = utf8(
        new TextDecoder()
          .decode(parts(contentType.endsWith('"') ? "a b" : "a", 0))
          .replace('"id":"tricked"', `"id":"plain-${index}"`),
      );
      const response = await fetch(`${stack.url}/api/plugins/upload`, {
        method: "POST",
        headers: { ...bearer(alice), "content-type": contentType },
        body,
      });
      expect(response.status, await response.clone().text()).toBe(201);
    }
  });
});

describe("a number beyond what JSON can hold (1e400 parses as Infinity) is refused with 400 naming the field", () => {
  const schema = '{"type":"object","properties":{"n":{"type":"number","maximum":1e400}}}';
  const metadata = JSON.stringify(pluginMetadata({ id: "infinite" })).replace(/}$/, `,"config":${schema}}`);

  it("in metadata beside a single file", async () => {
    await expectNothingChanged(stack, async () => {
      const message = await expectError(await upload(stack, { token: alice, metadata }), 400, "BAD_REQUEST");
      expect(message).toMatch(/^metadata\.config\.properties\.n\.maximum: is a number beyond what JSON can hold/);
    });
  });

  it("in metadata beside an archive, and in its plugin.json", async () => {
    const finite = JSON.stringify(pluginMetadata({ id: "infinite" }));
    for (const [manifest, stated, field] of [
      [finite, metadata, "metadata"],
      [metadata, null, "plugin\\.json"],
    ] as const) {
      const archive = await tarGz([
        { path: "plugin.json", bytes: utf8(manifest) },
        { path: "index.js", bytes: utf8("export default 1;\n") },
      ]);
      await expectNothingChanged(stack, async () => {
        const message = await expectError(
          await upload(stack, { token: alice, file: archive, metadata: stated }),
          400,
          "BAD_REQUEST",
        );
        expect(message).toMatch(new RegExp(`^${field}\\.config\\.properties\\.n\\.maximum: is a number beyond`));
      });
    }
  });

  it("in an install's config, through REST and tRPC", async () => {
    await expectNothingChanged(stack, async () => {
      const body = '{"pluginId":"open","instanceId":"infinite","config":{"x":1e400}}';
      const message = await expectError(await install(stack, alice, "acme", body), 400, "BAD_REQUEST");
      expect(message).toMatch(/config: .*numbers beyond what JSON can hold/);
      const response = await fetch(`${stack.url}/trpc/installations.install`, {
        method: "POST",
        headers: { ...bearer(alice), "content-type": "application/json" },
        body: '{"tenantId":"acme","pluginId":"open","instanceId":"infinite","config":{"x":-1e400}}',
      });
      expect(await expectTrpcShape(response, 400, "BAD_REQUEST", "installations.install")).toMatch(
        /config: .*numbers beyond what JSON can hold/,
      );
    });
  });
});
