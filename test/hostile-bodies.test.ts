import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bytes, tarGz, utf8 } from "./archive-fixtures";
import { bearer, expectNothingChanged, expectTrpcShape, type TrpcErrorBody, trpcPost } from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import { expectError, install, multipartForm, pluginMetadata, present, publish, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * Hostile request bodies: too large (MAX_UPLOAD_BYTES, MAX_BUNDLE_BYTES, with or without a
 * Content-Length), malformed (JSON or multipart), nested too deeply (32 levels below the
 * object carrying the fields), with more multipart parts than an upload has (3), or holding
 * numbers JSON cannot. Each is refused with a 4xx naming the limit before anything walks or
 * parses the whole input, and changes nothing.
 */

let stack: Stack;
let cast: Cast;

/** `depth` nested arrays as JSON text, built without recursion. */
function nestedArrays(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** A plugin whose config schema takes any value under `x`, so only the depth can refuse it. */
const OPEN_CONFIG = { type: "object", properties: { x: {} } };

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await publish(stack, cast.alice, pluginMetadata({ id: "open", config: OPEN_CONFIG }));
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
          bearer(cast.alice),
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
        await install(stack, cast.alice, "acme", `{"pluginId":"open","config":${deepConfig}}`),
        400,
        "BAD_REQUEST",
      ),
    );
    expect(message).toMatch(/^config: nests deeper than 32 levels/);
  });

  it("a config of 100,000 levels, where serializing it would overflow any stack, is refused the same way", async () => {
    const deeper = `{"pluginId":"open","config":{"x":${nestedArrays(100_000)}}}`;
    await expectNothingChanged(stack, async () =>
      expect(await expectError(await install(stack, cast.alice, "acme", deeper), 400, "BAD_REQUEST")).toMatch(
        /32 levels/,
      ),
    );
  });

  it("counts the limit exactly: a config of 32 levels installs, one of 33 does not", async () => {
    // The config object is the first level, the arrays under x the other 31 (or 32).
    const config = (arrays: number) => `{"x":${nestedArrays(arrays)}}`;
    await expectNothingChanged(stack, async () =>
      expectError(
        await install(stack, cast.alice, "acme", `{"pluginId":"open","instanceId":"too-deep","config":${config(32)}}`),
        400,
        "BAD_REQUEST",
      ),
    );
    const response = await install(
      stack,
      cast.alice,
      "acme",
      `{"pluginId":"open","instanceId":"deep-enough","config":${config(31)}}`,
    );
    expect(response.status, await response.clone().text()).toBe(201);
    const status = await fetch(`${stack.url}/api/plugins/status/deep-enough`, {
      headers: { ...bearer(cast.alice), "x-tenant-id": "acme" },
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
        await trpcPost(stack, "hosts.register", body, bearer(cast.alice)),
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
      const message = await expectError(await upload(stack, { token: cast.alice, metadata }), 400, "BAD_REQUEST");
      expect(message).toMatch(/^metadata: a field nests deeper than 32 levels/);
    });
    const archive = await tarGz([
      { path: "plugin.json", bytes: utf8(metadata) },
      { path: "index.js", bytes: utf8("export default 1;\n") },
    ]);
    await expectNothingChanged(stack, async () => {
      const message = await expectError(
        await upload(stack, { token: cast.alice, file: archive, metadata: null }),
        400,
        "BAD_REQUEST",
      );
      expect(message).toMatch(/^plugin\.json: a field nests deeper than 32 levels/);
    });
  });
});

describe("a write whose answer cannot be sent commits nothing", () => {
  it("a stop of an instance stored (before this limit) with a config too deep to serialize: 500, and it still runs", async () => {
    await publish(stack, cast.alice, pluginMetadata({ id: "legacy", config: OPEN_CONFIG }));
    await stack.db.query(
      `insert into installations (tenant_id, instance_id, plugin_id, version, status, config, installed_by)
       values ('legacy-tenant', 'legacy', 'legacy', '1.0.0', 'active', $1::jsonb, 'root')`,
      [`{"x":${nestedArrays(10_000)}}`],
    );
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/api/plugins/stop/legacy`, {
        method: "POST",
        headers: { ...bearer(cast.root), "x-tenant-id": "legacy-tenant" },
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
        headers: headers(cast.alice),
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
        headers: headers(cast.alice),
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
        headers: headers(cast.alice),
        body: flood(2),
      });
      expect(await expectError(rest, 400, "BAD_REQUEST")).toMatch(/more than 3 parts/);
      const direct = await fetch(`${stack.url}/trpc/plugins.publish`, {
        method: "POST",
        headers: headers(cast.alice),
        body: flood(2),
      });
      await expectTrpcShape(direct, 400, "BAD_REQUEST", "plugins.publish");
    });
    const published = await fetch(`${stack.url}/api/plugins/upload`, {
      method: "POST",
      headers: headers(cast.alice),
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
            headers: { ...bearer(cast.alice), "content-type": contentType },
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
        headers: { ...bearer(cast.alice), "content-type": contentType },
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
      const message = await expectError(await upload(stack, { token: cast.alice, metadata }), 400, "BAD_REQUEST");
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
          await upload(stack, { token: cast.alice, file: archive, metadata: stated }),
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
      const message = await expectError(await install(stack, cast.alice, "acme", body), 400, "BAD_REQUEST");
      expect(message).toMatch(/config: .*numbers beyond what JSON can hold/);
      const response = await fetch(`${stack.url}/trpc/installations.install`, {
        method: "POST",
        headers: { ...bearer(cast.alice), "content-type": "application/json" },
        body: '{"tenantId":"acme","pluginId":"open","instanceId":"infinite","config":{"x":-1e400}}',
      });
      expect(await expectTrpcShape(response, 400, "BAD_REQUEST", "installations.install")).toMatch(
        /config: .*numbers beyond what JSON can hold/,
      );
    });
  });
});

describe("JSON bodies over MAX_UPLOAD_BYTES (2048) are refused 413", () => {
  let small: Stack;
  let admin: string;
  const LIMIT = 2048;

  beforeAll(async () => {
    small = await startStack({ apiBindings: { MAX_UPLOAD_BYTES: String(LIMIT) } });
    admin = (await mintCast(small)).root;
    await publish(small, admin, pluginMetadata({ id: "tiny" }), "export default 1;");
  });
  afterAll(() => small?.stop());

  /** A valid install body padded with an unknown field (which validation strips) to `bytes` bytes. */
  function paddedInstall(bytes: number, fields: Record<string, unknown>): string {
    const base = JSON.stringify({ ...fields, pad: "" });
    const body = JSON.stringify({ ...fields, pad: "x".repeat(bytes - base.length) });
    expect(body.length).toBe(bytes);
    return body;
  }

  function streamed(text: string): ReadableStream<Uint8Array> {
    const bytes = new TextEncoder().encode(text);
    return new ReadableStream({
      start(controller) {
        for (let start = 0; start < bytes.length; start += 512) controller.enqueue(bytes.slice(start, start + 512));
        controller.close();
      },
    });
  }

  function postTrpc(body: string | ReadableStream<Uint8Array>) {
    return fetch(`${small.url}/trpc/installations.install`, {
      method: "POST",
      headers: { ...bearer(admin), "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
  }

  function postInstall(body: string | ReadableStream<Uint8Array>) {
    return fetch(`${small.url}/api/plugins/install`, {
      method: "POST",
      headers: { ...bearer(admin), "content-type": "application/json", "x-tenant-id": "acme" },
      body,
      duplex: "half",
    } as RequestInit);
  }

  const trpcBody = (bytes: number, instanceId: string) =>
    paddedInstall(bytes, { tenantId: "acme", pluginId: "tiny", instanceId });
  const restBody = (bytes: number, instanceId: string) => paddedInstall(bytes, { pluginId: "tiny", instanceId });

  it("a /trpc mutation body of 2049 bytes with a Content-Length: 413 in tRPC's shape", async () => {
    await expectNothingChanged(small, async () => {
      const message = await expectTrpcShape(
        await postTrpc(trpcBody(LIMIT + 1, "over")),
        413,
        "PAYLOAD_TOO_LARGE",
        "installations.install",
      );
      expect(message).toContain(String(LIMIT));
    });
  });

  it("a streamed /trpc mutation body over the limit without a Content-Length: 413", async () => {
    await expectNothingChanged(small, async () => {
      await expectTrpcShape(
        await postTrpc(streamed(trpcBody(LIMIT * 2, "over-streamed"))),
        413,
        "PAYLOAD_TOO_LARGE",
        "installations.install",
      );
    });
  });

  it("an /api/plugins/install body of 2049 bytes with a Content-Length: 413", async () => {
    await expectNothingChanged(small, async () => {
      const message = await expectError(await postInstall(restBody(LIMIT + 1, "over")), 413, "PAYLOAD_TOO_LARGE");
      expect(message).toContain(String(LIMIT));
    });
  });

  it("a streamed /api/plugins/install body over the limit without a Content-Length: 413", async () => {
    await expectNothingChanged(small, async () => {
      await expectError(await postInstall(streamed(restBody(LIMIT * 2, "over-streamed"))), 413, "PAYLOAD_TOO_LARGE");
    });
  });

  it("accepts the same bodies at exactly 2048 bytes (so the 413s above are about size alone)", async () => {
    const viaTrpc = await postTrpc(trpcBody(LIMIT, "at-limit-trpc"));
    expect(viaTrpc.status, await viaTrpc.clone().text()).toBe(200);
    const viaRest = await postInstall(restBody(LIMIT, "at-limit-rest"));
    expect(viaRest.status, await viaRest.clone().text()).toBe(201);
  });
});

describe("uploads over MAX_UPLOAD_BYTES or MAX_BUNDLE_BYTES are refused 413", () => {
  let small: Stack;
  let token: string;

  beforeAll(async () => {
    // The API refuses bodies over 4 KiB; the plugins worker refuses bundles over 1 KiB.
    small = await startStack({
      apiBindings: { MAX_UPLOAD_BYTES: "4096" },
      pluginsBindings: { MAX_BUNDLE_BYTES: "1024" },
    });
    token = (await mintCast(small)).alice;
  });
  afterAll(() => small?.stop());

  async function expectTooLarge(send: () => Promise<Response>): Promise<string> {
    const before = await small.snapshot();
    const message = await expectError(await send(), 413, "PAYLOAD_TOO_LARGE");
    expect(await small.snapshot()).toEqual(before);
    return message;
  }

  it("a body over MAX_UPLOAD_BYTES that declares its Content-Length", async () => {
    const message = await expectTooLarge(() => upload(small, { token, file: "x".repeat(8000) }));
    expect(message).toContain("4096");
  });

  it("a streamed body over MAX_UPLOAD_BYTES without a Content-Length", async () => {
    const form = multipartForm({ file: "x".repeat(8000) });
    const encoded = new Response(form);
    const stream = present(encoded.body);
    const message = await expectTooLarge(() =>
      fetch(`${small.url}/api/plugins/upload`, {
        method: "POST",
        body: stream,
        headers: { authorization: `Bearer ${token}`, "content-type": present(encoded.headers.get("content-type")) },
        duplex: "half",
      } as RequestInit),
    );
    expect(message).toContain("4096");
  });

  it("a bundle over MAX_BUNDLE_BYTES in a body the API accepts, naming file", async () => {
    const message = await expectTooLarge(() => upload(small, { token, file: "y".repeat(2000) }));
    expect(message).toBe("file: the bundle is 2000 bytes; the limit is 1024");
  });

  it("a /trpc body over MAX_UPLOAD_BYTES, answered in tRPC's error shape", async () => {
    const error = await trpc(small, token)
      .installations.install.mutate({ tenantId: "acme", pluginId: "p", instanceId: "i".repeat(5000) })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });
  });

  it("still accepts a bundle at exactly MAX_BUNDLE_BYTES", async () => {
    const response = await upload(small, { token, file: "z".repeat(1024) });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { size: number }).size).toBe(1024);
  });
});

describe("malformed bodies are refused 400", () => {
  it.each([
    ["truncated JSON", '{"tenantId": "acme", "pluginId": "owned"'],
    ["JSON with trailing garbage", '{"tenantId":"acme","pluginId":"owned","instanceId":"g"} x'],
    ["a bare word", "nope"],
    ["single-quoted JSON", "{'tenantId': 'acme', 'pluginId': 'owned'}"],
    ["an unterminated string", '{"tenantId": "acme'],
    ["an empty body", ""],
    ["JSON null", "null"],
    ["a JSON number overflowing to Infinity", "1e999"],
  ])("a /trpc POST with %s (400 in tRPC's shape)", async (_, body) => {
    await expectNothingChanged(stack, async () => {
      await expectTrpcShape(
        await trpcPost(stack, "installations.install", body, bearer(cast.root)),
        400,
        "BAD_REQUEST",
        "installations.install",
      );
    });
  });

  it.each([
    ["JSON with trailing garbage", '{"pluginId":"owned","instanceId":"g"} x'],
    ["single-quoted JSON", "{'pluginId': 'owned'}"],
    ["JSON null", "null"],
    ["a JSON string", '"owned"'],
    ["a JSON number overflowing to Infinity", "1e999"],
    ["a body that is only whitespace", "   \n"],
  ])("an install with %s (400)", async (_, body) => {
    await expectNothingChanged(stack, async () => {
      await expectError(await install(stack, cast.root, "acme", body), 400, "BAD_REQUEST");
    });
  });

  /** Multipart bodies no form parser can read: the gateway refuses them on REST, the plugins worker on /trpc. */
  const MALFORMED_MULTIPART: [string, string, string][] = [
    ["garbage under a boundary", "multipart/form-data; boundary=xyz", "this is not multipart"],
    ["no boundary parameter", "multipart/form-data", "--xyz\r\n\r\n--xyz--"],
    [
      "a part that never ends",
      "multipart/form-data; boundary=xyz",
      '--xyz\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"id":',
    ],
    [
      "a body under another boundary than declared",
      "multipart/form-data; boundary=declared",
      '--other\r\nContent-Disposition: form-data; name="file"; filename="a.js"\r\n\r\nx\r\n--other--\r\n',
    ],
    ["an empty body", "multipart/form-data; boundary=xyz", ""],
    [
      "a part without Content-Disposition",
      "multipart/form-data; boundary=xyz",
      "--xyz\r\nContent-Type: text/plain\r\n\r\nx\r\n--xyz--\r\n",
    ],
  ];

  it.each(MALFORMED_MULTIPART)(
    "a multipart publish with %s: 400 on /trpc/plugins.publish",
    async (_, contentType, body) => {
      await expectNothingChanged(stack, async () => {
        const response = await fetch(`${stack.url}/trpc/plugins.publish`, {
          method: "POST",
          headers: { ...bearer(cast.root), "content-type": contentType },
          body,
        });
        await expectTrpcShape(response, 400, "BAD_REQUEST", "plugins.publish");
      });
    },
  );

  it.each(MALFORMED_MULTIPART)(
    "a multipart upload with %s: 400 on /api/plugins/upload naming multipart",
    async (_, contentType, body) => {
      await expectNothingChanged(stack, async () => {
        const response = await fetch(`${stack.url}/api/plugins/upload`, {
          method: "POST",
          headers: { ...bearer(cast.alice), "content-type": contentType },
          body,
        });
        expect(response.status, "a refusal, not a failure").toBeLessThan(500);
        expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/multipart/i);
      });
    },
  );

  it.each([
    ["text/plain", JSON.stringify({ tenantId: "acme", pluginId: "owned", instanceId: "csrf" })],
    ["application/x-www-form-urlencoded", "tenantId=acme&pluginId=owned&instanceId=csrf"],
  ])("a %s POST (what a cross-site form sends without preflight) to a mutation: 415", async (contentType, body) => {
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/trpc/installations.install`, {
        method: "POST",
        headers: { ...bearer(cast.root), "content-type": contentType },
        body,
      });
      const text = await response.text();
      expect(response.status, text).toBe(415);
      expect((JSON.parse(text) as { error: { data: { code: string } } }).error.data.code).toBe(
        "UNSUPPORTED_MEDIA_TYPE",
      );
    });
  });

  it("a multipart body sent to a JSON mutation: 400", async () => {
    const form = new FormData();
    form.set("tenantId", "acme");
    form.set("pluginId", "owned");
    form.set("instanceId", "from-form");
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/trpc/installations.install`, {
        method: "POST",
        headers: bearer(cast.root),
        body: form,
      });
      await expectTrpcShape(response, 400, "BAD_REQUEST", "installations.install");
    });
  });
});
