import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, expectNothingChanged } from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import { fanOutSchema, manyPatternsSchema } from "./costly-config-schemas";
import { expectError, pluginMetadata, publish, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";
import { HOSTILE_INPUT, SUPER_LINEAR_PATTERNS } from "./super-linear-patterns";

/**
 * Config schemas' patterns and formats run in linear time, or are refused at
 * publish with a 400 naming them; a whole schema too costly to check is refused at publish,
 * and checking a config stops on a budget; installs answer promptly and the platform keeps answering.
 */

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** `POST /api/plugins/install` for acme, given up on after `ms` so that a hang fails the test instead of stalling it. */
function installWithin(ms: number, body: unknown): Promise<Response> {
  return fetch(`${stack.url}/api/plugins/install`, {
    method: "POST",
    headers: { authorization: `Bearer ${cast.alice}`, "x-tenant-id": "acme", "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(ms),
  });
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, performance.now() - started];
}

describe("the reported attack: a pattern ^(a+)+$ with a default it backtracks on", () => {
  const attack = {
    type: "object",
    properties: { name: { type: "string", pattern: "^(a+)+$", default: HOSTILE_INPUT } },
  };

  it("publishes (the pattern runs in linear time), and an install with an empty config answers 400 promptly while /health keeps answering", async () => {
    await publish(stack, cast.alice, pluginMetadata({ id: "redos-default", version: "1.0.0", config: attack }));
    const before = await stack.snapshot();

    const installs = Array.from({ length: 4 }, (_, index) =>
      timed(() => installWithin(10_000, { pluginId: "redos-default", instanceId: `attack-${index}`, config: {} })),
    );
    const healthChecks = Array.from({ length: 4 }, () =>
      timed(() => fetch(`${stack.url}/health`, { signal: AbortSignal.timeout(10_000) })),
    );
    for (const [response, ms] of await Promise.all(healthChecks)) {
      expect(response.status).toBe(200);
      expect(ms).toBeLessThan(2_000);
    }
    for (const [response, ms] of await Promise.all(installs)) {
      expect(await expectError(response, 400, "BAD_REQUEST")).toBe("config.name: String does not match pattern.");
      expect(ms).toBeLessThan(2_000);
    }
    expect(await stack.snapshot()).toEqual(before);
  });
});

describe("every classic super-linear pattern at once, on a default each backtracks on", () => {
  it("an install with an empty config, whose 10 KB default every classic super-linear pattern backtracks on, answers 400 within 2 s while /health answers", async () => {
    const config = {
      type: "object",
      properties: {
        name: { type: "string", allOf: SUPER_LINEAR_PATTERNS.map((pattern) => ({ pattern })), default: HOSTILE_INPUT },
      },
    };
    await publish(stack, cast.alice, pluginMetadata({ id: "redos-attack", version: "1.0.0", config }));
    await expectNothingChanged(stack, async () => {
      const started = performance.now();
      const [installed, health] = await Promise.all([
        fetch(`${stack.url}/api/plugins/install`, {
          method: "POST",
          headers: { ...bearer(cast.alice), "x-tenant-id": "acme", "content-type": "application/json" },
          body: JSON.stringify({ pluginId: "redos-attack", config: {} }),
          signal: AbortSignal.timeout(10_000),
        }),
        fetch(`${stack.url}/health`, { signal: AbortSignal.timeout(10_000) }),
      ]);
      expect(health.status).toBe(200);
      expect(await expectError(installed, 400, "BAD_REQUEST")).toMatch(
        /^config\.name: String does not match pattern\./,
      );
      expect(performance.now() - started).toBeLessThan(2_000);
    });
  });
});

describe.each(SUPER_LINEAR_PATTERNS.map((pattern, index) => [pattern, index] as const))(
  "the classic super-linear pattern %s",
  (pattern, index) => {
    const pluginId = `redos-classic-${index}`;

    beforeAll(async () => {
      await publish(
        stack,
        cast.alice,
        pluginMetadata({
          id: pluginId,
          version: "1.0.0",
          config: {
            type: "object",
            // "name!" matches none of the patterns, so patternProperties leaves it alone.
            properties: { "name!": { type: "string", pattern } },
            patternProperties: { [pattern]: { type: "integer" } },
          },
        }),
      );
    });

    it("checks a 10 KB value against it promptly: 400 naming the field", async () => {
      const [response, ms] = await timed(() =>
        installWithin(5_000, { pluginId, instanceId: `value-${index}`, config: { "name!": HOSTILE_INPUT } }),
      );
      expect(await expectError(response, 400, "BAD_REQUEST")).toBe("config.name!: String does not match pattern.");
      expect(ms).toBeLessThan(2_000);
    });

    it("checks a 10 KB property name against it as patternProperties promptly", async () => {
      const [response, ms] = await timed(() =>
        installWithin(5_000, { pluginId, instanceId: `key-${index}`, config: { [HOSTILE_INPUT]: "not checked" } }),
      );
      expect(response.status).toBe(201);
      expect(ms).toBeLessThan(2_000);
    });
  },
);

describe("patterns and formats that cannot run in linear time are refused at publish", () => {
  it.each([
    [
      "a lookahead",
      { properties: { host: { type: "string", pattern: "^(?!www\\.)[a-z.]+$" } } },
      'metadata.config: properties.host.pattern "^(?!www\\.)[a-z.]+$" cannot run in linear time: lookaround (?!…) is not supported',
    ],
    [
      "a backreference in patternProperties",
      { patternProperties: { "^(a)\\1$": { type: "string" } } },
      'metadata.config: patternProperties "^(a)\\1$" cannot run in linear time: backreferences (\\1) are not supported',
    ],
    [
      "a lookbehind under items",
      { properties: { tags: { type: "array", items: { type: "string", pattern: "(?<=#)\\w+" } } } },
      'metadata.config: properties.tags.items.pattern "(?<=#)\\w+" cannot run in linear time: lookaround (?<=…) is not supported',
    ],
    [
      "a lookbehind in $defs",
      { $defs: { tag: { type: "string", pattern: "(?<=#)\\w+" } } },
      /^metadata\.config: \$defs\.tag\.pattern "\(\?<=#\)\\w\+" cannot run in linear time/,
    ],
    [
      "a backreference under properties",
      { properties: { twice: { type: "string", pattern: "^(\\w+)\\1$" } } },
      /^metadata\.config: properties\.twice\.pattern .* backreferences/,
    ],
    [
      "the format url, whose check takes exponential time",
      { properties: { homepage: { type: "string", format: "url" } } },
      /^metadata\.config: properties\.homepage\.format "url" is not supported: its check takes exponential time/,
    ],
  ])("refuses %s with 400 naming it, storing nothing", async (_, config, message) => {
    const before = await stack.snapshot();
    const response = await upload(stack, {
      token: cast.alice,
      metadata: pluginMetadata({ id: "redos-refused", version: "1.0.0", config: { type: "object", ...config } }),
    });
    const text = await expectError(response, 400, "BAD_REQUEST");
    if (typeof message === "string") expect(text).toBe(message);
    else expect(text).toMatch(message);
    expect(await stack.snapshot()).toEqual(before);
  });
});

describe("a version stored before patterns had to run in linear time", () => {
  it("refuses installs with 400 saying why, instead of running its lookahead", async () => {
    await publish(
      stack,
      cast.alice,
      pluginMetadata({
        id: "redos-stored",
        version: "1.0.0",
        config: { type: "object", properties: { host: { type: "string" } } },
      }),
    );
    // What an older platform let through: the manifest as stored, with a pattern RE2 cannot run.
    await stack.db.query(
      `update plugin_versions set manifest = jsonb_set(manifest, '{config,properties,host,pattern}', '"^(?!www)[a-z]+$"')
       where plugin_id = 'redos-stored'`,
    );
    const before = await stack.snapshot();
    const message = await expectError(
      await installWithin(5_000, { pluginId: "redos-stored", config: { host: "example" } }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toBe(
      `config: this version's config schema cannot check it: pattern "^(?!www)[a-z]+$" cannot run in linear time: lookaround (?!…) is not supported`,
    );
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses an install through tRPC the same way when a field has the super-linear format url", async () => {
    await stack.db.query(
      `update plugin_versions set manifest = jsonb_set(manifest, '{config,properties,homepage}', '{"type":"string","format":"url"}')
       where plugin_id = 'redos-stored'`,
    );
    const alice = trpc(stack, cast.alice).installations;
    const call = alice.install.mutate({
      tenantId: "acme",
      pluginId: "redos-stored",
      instanceId: "stored-url",
      config: { homepage: `http://${"a".repeat(10_000)}!` },
    });
    await expect(call).rejects.toThrow(/config schema cannot check it: format "url" is not supported/);
  });
});

describe("config schemas whose patterns are linear but whose whole evaluation is too costly", () => {
  const reproductions = [
    [
      "the $ref/allOf fan-out (2^17 pattern checks)",
      fanOutSchema(),
      "metadata.config: is too costly to check: with its $refs expanded it has 524287 subschemas, at most 10000",
    ],
    [
      "the same fan-out at the root, which the check of the defaults would run",
      fanOutSchema(17, true),
      /^metadata\.config: is too costly to check: with its \$refs expanded it has \d+ subschemas, at most 10000$/,
    ],
    [
      "550 linear patterns on a 40 KB default",
      manyPatternsSchema(),
      "metadata.config: is too costly to check: it has 550 distinct patterns, at most 256",
    ],
  ] as const;

  it.each(reproductions)(
    "refuses %s at publish promptly with 400 naming the limit, storing nothing",
    async (_, config, message) => {
      const before = await stack.snapshot();
      const [response, ms] = await timed(() =>
        upload(stack, {
          token: cast.alice,
          metadata: pluginMetadata({ id: "costly-refused", version: "1.0.0", config }),
        }),
      );
      const text = await expectError(response, 400, "BAD_REQUEST");
      if (typeof message === "string") expect(text).toBe(message);
      else expect(text).toMatch(message);
      expect(ms).toBeLessThan(2_000);
      expect(await stack.snapshot()).toEqual(before);
    },
  );

  it.each([
    ["the $ref/allOf fan-out", "costly-stored-fan-out", fanOutSchema()],
    ["550 linear patterns", "costly-stored-patterns", manyPatternsSchema()],
  ])(
    "answers 400 within two seconds for an install on a stored version with %s, while /health keeps answering",
    async (_, pluginId, config) => {
      await publish(
        stack,
        cast.alice,
        pluginMetadata({
          id: pluginId,
          version: "1.0.0",
          config: { type: "object", properties: { p: { type: "string" } } },
        }),
      );
      // What an older platform let through: the manifest as stored, with the costly schema.
      await stack.db.query(
        "update plugin_versions set manifest = jsonb_set(manifest, '{config}', $1::jsonb) where plugin_id = $2",
        [JSON.stringify(config), pluginId],
      );
      const before = await stack.snapshot();
      const install = timed(() => installWithin(10_000, { pluginId, instanceId: "costly", config: {} }));
      const healthChecks = Array.from({ length: 3 }, () =>
        timed(() => fetch(`${stack.url}/health`, { signal: AbortSignal.timeout(10_000) })),
      );
      for (const [response, ms] of await Promise.all(healthChecks)) {
        expect(response.status).toBe(200);
        expect(ms).toBeLessThan(2_000);
      }
      const [response, ms] = await install;
      expect(await expectError(response, 400, "BAD_REQUEST")).toBe(
        "config: this version's config schema is too costly to check: its evaluation passed the budget of 10000000 steps",
      );
      expect(ms).toBeLessThan(2_000);
      expect(await stack.snapshot()).toEqual(before);
    },
  );
});
