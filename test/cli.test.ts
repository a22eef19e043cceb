import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/local-stack/worker-bundles";
import { type ArchiveFile, pluginFolder, tarGz, utf8, zip } from "./archive-fixtures";
import { mintCast } from "./cast";
import { closedPort, getManual, present, sha256Hex, sriSha384, trpc, UUID } from "./helpers";
import { type Stack, startStack } from "./stack";

/** The `plugins` bin as npm installs it: the package's build output, run by node. */
const CLI = join(ROOT, "packages/cli/dist/main.js");
const STACK_LINE = /^\s+at /m;

let stack: Stack;
let root: string;
let alice: string;
let carol: string;
let sandbox: string;

beforeAll(async () => {
  execFileSync("node", [join(ROOT, "packages/cli/build.mjs")], { stdio: "inherit" });
  stack = await startStack();
  ({ root, alice, carol } = await mintCast(stack));
  sandbox = mkdtempSync(join(tmpdir(), "plugin-platform-cli-"));
});
afterAll(async () => {
  await stack?.stop();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Added to the environment, over the defaults: this stack, alice's token, a home of its own. */
  env?: Record<string, string | undefined>;
  input?: string;
}

/**
 * Runs the CLI as a child process (never blocking this process, which serves the stack's
 * bridge), in a home folder of its own, with nothing of the caller's PLUGINS_* settings.
 */
function plugins(args: string[], options: RunOptions = {}): Promise<Run> {
  const home = mkdtempSync(join(sandbox, "home-"));
  const env: Record<string, string> = {};
  const merged = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: undefined,
    PLUGINS_REGISTRY: stack.url,
    PLUGINS_TOKEN: alice,
    ...options.env,
  };
  for (const [name, value] of Object.entries(merged)) if (value !== undefined) env[name] = value;
  return new Promise((resolve, reject) => {
    const child = spawn("node", [CLI, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** A failure's report: exactly one line on stderr, no stack trace, nothing but JSON (or nothing) on stdout. */
function expectOneLineFailure(run: Run, status: number, line: RegExp): void {
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(status);
  expect(run.stderr.endsWith("\n")).toBe(true);
  expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(line);
  expect(run.stderr).not.toMatch(STACK_LINE);
}

/** Writes a built folder into a fresh directory and returns its path. */
function writeFolder(files: readonly ArchiveFile[]): string {
  const folder = mkdtempSync(join(sandbox, "dist-"));
  for (const file of files) {
    mkdirSync(dirname(join(folder, file.path)), { recursive: true });
    writeFileSync(join(folder, file.path), file.bytes);
  }
  return folder;
}

function writeArchive(name: string, bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(sandbox, "archive-")), name);
  writeFileSync(path, bytes);
  return path;
}

const documentOf = async (id: string) =>
  (await (await fetch(`${stack.url}/api/plugins/${id}`)).json()) as {
    distTags: Record<string, string>;
    versions: Record<string, { status: string; deprecated: { message: string } | null }>;
  };

describe("plugins publish", () => {
  it("publishes a fresh folder, printing the exact URL and integrity, and the version is served with it", async () => {
    const files = pluginFolder({ id: "cli-fresh", version: "1.0.0" });
    const run = await plugins(["publish", writeFolder(files)]);
    expect(run.status, run.stderr).toBe(0);
    const url = /^url:\s+(\S+)$/m.exec(run.stdout)?.[1];
    const integrity = /^integrity:\s+(\S+)$/m.exec(run.stdout)?.[1];
    expect(url).toBe(`${stack.url}/plugins/bundles/cli-fresh/v1.0.0/index.js`);
    const entry = files.find((file) => file.path === "index.js")?.bytes ?? utf8("");
    expect(integrity).toBe(sriSha384(entry));
    expect(run.stdout).toMatch(/^published cli-fresh@1\.0\.0 \(6 files, \d+ bytes\)$/m);

    const served = await fetch(url ?? "");
    expect(served.status).toBe(200);
    expect(sriSha384(new Uint8Array(await served.arrayBuffer()))).toBe(integrity);
    // No terminal, no progress bar: stderr is left to failures.
    expect(run.stderr).toBe("");
  });

  it("shows upload progress on a terminal, counting every byte of the body it streams", async () => {
    const folder = writeFolder(pluginFolder({ id: "cli-progress" }));
    // util-linux `script` runs the command on a pseudo-terminal, as a developer's shell would.
    const run = await new Promise<Run>((resolve) =>
      execFile(
        "script",
        ["-qec", `node ${CLI} publish ${folder}`, "/dev/null"],
        { env: { ...process.env, PLUGINS_REGISTRY: stack.url, PLUGINS_TOKEN: alice } },
        (error, stdout, stderr) => resolve({ status: error ? 1 : 0, stdout, stderr }),
      ),
    );
    expect(run.status, run.stdout).toBe(0);
    const frames = [...run.stdout.matchAll(/upload \[[^\]]*\] (\d+)% \| (\d+)\/(\d+) bytes/g)];
    expect(frames.length).toBeGreaterThan(0);
    const last = frames.at(-1);
    expect(last?.[1]).toBe("100");
    expect(last?.[2]).toBe(last?.[3]);
    expect(run.stdout).toMatch(/published cli-progress@1\.0\.0/);
  });

  it("--json prints the version, its URL, integrity and every file's digests, and --tag points the tag at it", async () => {
    const files = pluginFolder({ id: "cli-json", version: "2.0.0-beta.1" });
    const run = await plugins(["publish", writeFolder(files), "--tag", "beta", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(
      ["created", "files", "id", "integrity", "sha256", "tag", "url", "version"]
        .concat("signature" in result ? ["signature"] : [])
        .sort(),
    );
    expect(result).toMatchObject({
      id: "cli-json",
      version: "2.0.0-beta.1",
      created: true,
      tag: "beta",
      url: `${stack.url}/plugins/bundles/cli-json/v2.0.0-beta.1/index.js`,
    });
    const expected = [...files]
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((file) => ({
        path: file.path,
        size: file.bytes.byteLength,
        sha256: sha256Hex(file.bytes),
        integrity: sriSha384(file.bytes),
      }));
    expect(result.files).toEqual(expected);
    const tagged = await getManual(`${stack.url}/plugins/bundles/cli-json@beta`);
    expect(tagged.status).toBe(302);
    expect(tagged.headers.get("location")).toBe(result.url);
  });

  it.each([
    ["tar.gz", "bundle.tgz", tarGz],
    ["zip", "bundle.zip", zip],
  ] as const)("publishes a ready %s", async (_format, name, pack) => {
    const id = `cli-ready-${name.endsWith("zip") ? "zip" : "tgz"}`;
    const run = await plugins(["publish", writeArchive(name, await pack(pluginFolder({ id }))), "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id, version: "1.0.0", created: true });
  });

  it("--dry-run lists the files and sizes it would send and sends nothing, without a registry or token", async () => {
    const files = pluginFolder({ id: "cli-dry", version: "1.0.0" });
    const before = await stack.snapshot();
    const port = await closedPort();
    const folder = writeFolder(files);
    const human = await plugins(["publish", folder, "--dry-run"], {
      env: { PLUGINS_REGISTRY: `http://127.0.0.1:${port}`, PLUGINS_TOKEN: undefined },
    });
    expect(human.status, human.stderr).toBe(0);
    for (const file of files) {
      expect(human.stdout).toMatch(
        new RegExp(`^\\s+${file.bytes.byteLength}  ${file.path.replace(".", "\\.")}  `, "m"),
      );
    }
    expect(human.stdout).toMatch(/^would publish cli-dry@1\.0\.0: 6 files, \d+ bytes packed/m);
    const json = await plugins(["publish", folder, "--dry-run", "--json"]);
    expect(json.status).toBe(0);
    const result = JSON.parse(json.stdout) as { dryRun: boolean; files: Array<{ path: string; size: number }> };
    expect(result.dryRun).toBe(true);
    expect(result.files.map((file) => [file.path, file.size]).sort()).toEqual(
      files.map((file) => [file.path, file.bytes.byteLength]).sort(),
    );
    expect(await stack.snapshot()).toEqual(before);
    expect((await fetch(`${stack.url}/api/plugins/cli-dry`)).status).toBe(404);
  });

  it("refuses an invalid manifest before sending anything: one line naming the field, exit 1, nothing stored", async () => {
    const before = await stack.snapshot();
    const folder = writeFolder(pluginFolder({ id: "cli-invalid", version: "one" }));
    // The registry is unreachable: only a local check can answer.
    const port = await closedPort();
    const run = await plugins(["publish", folder], { env: { PLUGINS_REGISTRY: `http://127.0.0.1:${port}` } });
    expectOneLineFailure(
      run,
      1,
      /^plugins publish: plugin\.json\.version: "one" is not a semver version like 1\.2\.3 \(INVALID_BUNDLE\)$/,
    );
    expect(run.stdout).toBe("");
    const json = await plugins(["publish", folder, "--json"]);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: "INVALID_BUNDLE", message: 'plugin.json.version: "one" is not a semver version like 1.2.3' },
    });
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses locally a readme or an icon the folder does not hold, as the registry would, sending nothing", async () => {
    const before = await stack.snapshot();
    const port = await closedPort();
    const offline = { env: { PLUGINS_REGISTRY: `http://127.0.0.1:${port}` } };
    const noReadme = writeFolder(pluginFolder({ id: "cli-readme", readme: "README.md" }));
    expectOneLineFailure(
      await plugins(["publish", noReadme], offline),
      1,
      /^plugins publish: plugin\.json: readme: "README\.md" is not a file of the bundle \(BAD_REQUEST\)$/,
    );
    const noIcon = writeFolder(pluginFolder({ id: "cli-icon", icon: "icons/missing.png" }));
    expectOneLineFailure(
      await plugins(["publish", noIcon], offline),
      1,
      /icon: "icons\/missing\.png" is not a file of the bundle/,
    );
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses locally what the registry's archive reader refuses: a folder without plugin.json, a symbolic link", async () => {
    const before = await stack.snapshot();
    const bare = writeFolder(pluginFolder().filter((file) => file.path !== "plugin.json"));
    expectOneLineFailure(await plugins(["publish", bare]), 1, /no plugin\.json at the root/);
    const linked = writeFolder(pluginFolder({ id: "cli-linked" }));
    symlinkSync("/etc/passwd", join(linked, "passwd"));
    expectOneLineFailure(await plugins(["publish", linked]), 1, /"passwd" is a symbolic link/);
    expect(await stack.snapshot()).toEqual(before);
  });

  it("reports a version the registry refuses (taken, with other content) in one line with its code, status and request id, storing nothing", async () => {
    const files = pluginFolder({ id: "cli-taken", version: "1.0.0" });
    expect((await plugins(["publish", writeFolder(files)])).status).toBe(0);
    const before = await stack.snapshot();
    const changed = writeFolder(pluginFolder({ id: "cli-taken", version: "1.0.0" }, "2"));
    const run = await plugins(["publish", changed]);
    expectOneLineFailure(
      run,
      1,
      /^plugins publish: cli-taken@1\.0\.0 is already published with different content; publish a new version \(CONFLICT, 409, request [0-9a-f-]{36}\)$/,
    );
    const json = await plugins(["publish", changed, "--json"]);
    expect(json.status).toBe(1);
    const { error } = JSON.parse(json.stdout) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: "CONFLICT", status: 409 });
    expect(error.requestId).toMatch(UUID);
    expect(await stack.snapshot()).toEqual(before);
  });

  it("republishing the same files answers success and changes nothing", async () => {
    const folder = writeFolder(pluginFolder({ id: "cli-again", version: "1.0.0" }));
    expect((await plugins(["publish", folder])).status).toBe(0);
    const before = await stack.snapshot();
    const again = await plugins(["publish", folder, "--json"]);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: "cli-again", created: false });
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses a publish by someone who may not (403, exit 1) and without a token (exit 2), storing nothing", async () => {
    const folder = writeFolder(pluginFolder({ id: "cli-fresh", version: "9.0.0" }));
    const before = await stack.snapshot();
    expectOneLineFailure(
      await plugins(["publish", folder], { env: { PLUGINS_TOKEN: carol } }),
      1,
      /belongs to another publisher.*\(FORBIDDEN, 403, request /,
    );
    expectOneLineFailure(
      await plugins(["publish", folder], { env: { PLUGINS_TOKEN: undefined } }),
      2,
      /^plugins publish: no token: run plugins login, or set PLUGINS_TOKEN \(USAGE\)$/,
    );
    expect(await stack.snapshot()).toEqual(before);
  });

  it("exits 4 when the answer lists other bytes for the entry than were sent (here a proxy rewriting it)", async () => {
    const proxy = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", async () => {
        const upstream = await fetch(`${stack.url}${incoming.url}`, {
          method: incoming.method ?? "POST",
          headers: {
            "content-type": incoming.headers["content-type"] ?? "",
            authorization: incoming.headers.authorization ?? "",
          },
          body: Buffer.concat(chunks),
        });
        const answer = (await upstream.json()) as Record<string, unknown>;
        outgoing
          .writeHead(upstream.status, { "content-type": "application/json" })
          .end(JSON.stringify({ ...answer, integrity: `sha384-${"A".repeat(64)}` }));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const run = await plugins(["publish", writeFolder(pluginFolder({ id: "cli-proxied" }))], {
        env: { PLUGINS_REGISTRY: `http://127.0.0.1:${port}` },
      });
      expectOneLineFailure(
        run,
        4,
        /^plugins publish: cli-proxied@1\.0\.0: the registry stored index\.js as sha384-A{64}, but the file sent is sha384-\S+ \(MISMATCH\)$/,
      );
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("exits 3 when the registry cannot be reached", async () => {
    const port = await closedPort();
    const run = await plugins(["publish", writeFolder(pluginFolder({ id: "cli-offline" }))], {
      env: { PLUGINS_REGISTRY: `http://127.0.0.1:${port}` },
    });
    expectOneLineFailure(
      run,
      3,
      /^plugins publish: cannot reach the registry at http:\/\/127\.0\.0\.1:\d+: fetch failed.*\(UNAVAILABLE\)$/,
    );
  });
});

describe("plugins info, verify and the version commands", () => {
  beforeAll(async () => {
    for (const version of ["1.0.0", "1.1.0", "1.2.0"]) {
      const run = await plugins(["publish", writeFolder(pluginFolder({ id: "cli-managed", version }, version))]);
      expect(run.status, run.stderr).toBe(0);
    }
  });

  it("info lists the dist-tags and every version with its status; --json is the package document", async () => {
    const run = await plugins(["info", "cli-managed"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^dist-tags: latest: 1\.2\.0$/m);
    for (const version of ["1.0.0", "1.1.0", "1.2.0"]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${version.replaceAll(".", "\\.")}\\s+published  `, "m"));
    }
    const json = await plugins(["info", "cli-managed", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(await (await fetch(`${stack.url}/api/plugins/cli-managed`)).json());
    expectOneLineFailure(await plugins(["info", "cli-nothing"]), 1, /\(NOT_FOUND, 404, request /);
    expectOneLineFailure(await plugins(["info", "Not An Id"]), 2, /^plugins info: plugin id "Not An Id": /);
  });

  it("verify checks every served file against the listed digests, and names the first that differs (exit 4)", async () => {
    const ok = await plugins(["verify", "cli-managed@1.0.0"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(
      "cli-managed@1.0.0: all 6 files match the sha256 and sha384 the registry lists\n" +
        "cli-managed@1.0.0: signed by key 'dev-2026', which GET /api/keys lists\n",
    );
    const json = await plugins(["verify", "cli-managed@1.0.0", "--json"]);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      files: Array<{ path: string; problem: null }>;
      signature: { keyid: string };
    };
    expect(report.ok).toBe(true);
    expect(report.signature).toEqual({ keyid: "dev-2026" });
    expect(report.files.map((file) => file.path).sort()).toEqual(
      pluginFolder()
        .map((file) => file.path)
        .sort(),
    );

    // A version nothing downloaded yet, so no cache holds its bytes: the stored object is what is served.
    await stack.bucket.put("cli-managed/1.1.0/chunks/a.js", 'export const chunk = "tampered";\n');
    const tampered = await plugins(["verify", "cli-managed@1.1.0"]);
    expectOneLineFailure(
      tampered,
      4,
      /^plugins verify: cli-managed@1\.1\.0: chunks\/a\.js as served .*has sha256 [0-9a-f]{64}, the registry lists [0-9a-f]{64}.* \(MISMATCH\)$/,
    );
    const tamperedJson = await plugins(["verify", "cli-managed@1.1.0", "--json"]);
    expect(tamperedJson.status).toBe(4);
    expect(JSON.parse(tamperedJson.stdout)).toMatchObject({ error: { code: "MISMATCH" } });
    expectOneLineFailure(await plugins(["verify", "cli-managed"]), 2, /is not <id>@<version>/);
  });

  it("verify refuses a version whose signature does not match, or that is unsigned (exit 4)", async () => {
    const forge = (signature: string) =>
      stack.db.query(
        `update plugin_versions set signature = ${signature} where plugin_id = 'cli-managed' and version = '1.2.0'`,
      );
    await forge(`jsonb_set(signature, '{sig}', to_jsonb(repeat('A', 86) || '=='))`);
    expectOneLineFailure(
      await plugins(["verify", "cli-managed@1.2.0"]),
      4,
      /^plugins verify: cli-managed@1\.2\.0's signature does not match its content \(MISMATCH\)$/,
    );
    await forge("null");
    expectOneLineFailure(
      await plugins(["verify", "cli-managed@1.2.0"]),
      4,
      /^plugins verify: cli-managed@1\.2\.0 is not signed \(MISMATCH\)$/,
    );
  });

  it("verify of a blocked version reports the registry's refusal (410, exit 1)", async () => {
    expect((await plugins(["publish", writeFolder(pluginFolder({ id: "cli-blocked" }))])).status).toBe(0);
    await trpc(stack, root).versions.block.mutate({ pluginId: "cli-blocked", version: "1.0.0", reason: "malware" });
    expectOneLineFailure(
      await plugins(["verify", "cli-blocked@1.0.0"]),
      1,
      /^plugins verify: cli-blocked@1\.0\.0 was blocked and is not available \(GONE, 410, request [0-9a-f-]{36}\)$/,
    );
  });

  it("deprecate flags a version and an empty message lifts it", async () => {
    const run = await plugins(["deprecate", "cli-managed@1.0.0", "use 1.2", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ pluginId: "cli-managed", version: "1.0.0", deprecated: true });
    expect((await documentOf("cli-managed")).versions["1.0.0"]?.deprecated?.message).toBe("use 1.2");
    const info = await plugins(["info", "cli-managed"]);
    expect(info.stdout).toMatch(/^ {2}1\.0\.0\s+published .*deprecated: use 1\.2$/m);
    const lifted = await plugins(["deprecate", "cli-managed@1.0.0", ""]);
    expect(lifted.stdout).toBe("cli-managed@1.0.0 is no longer deprecated\n");
    expect((await documentOf("cli-managed")).versions["1.0.0"]?.deprecated).toBeNull();
  });

  it("yank withdraws a version; yanking it again is refused (409, exit 1)", async () => {
    const run = await plugins(["yank", "cli-managed@1.2.0", "--reason", "broken build"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe("cli-managed@1.2.0 is yanked\n");
    const document = await documentOf("cli-managed");
    expect(document.versions["1.2.0"]?.status).toBe("yanked");
    expect(document.distTags.latest).toBe("1.1.0");
    expect((await plugins(["info", "cli-managed"])).stdout).toMatch(/^ {2}1\.2\.0\s+yanked /m);
    const before = await stack.snapshot();
    expectOneLineFailure(
      await plugins(["yank", "cli-managed@1.2.0"]),
      1,
      /^plugins yank: cli-managed@1\.2\.0 is yanked \(CONFLICT, 409, request [0-9a-f-]{36}\)$/,
    );
    expect(await stack.snapshot()).toEqual(before);
  });

  it("tag set points a tag at a version and tag rm removes it", async () => {
    const set = await plugins(["tag", "set", "cli-managed@1.0.0", "stable", "--json"]);
    expect(set.status, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ pluginId: "cli-managed", tag: "stable", version: "1.0.0" });
    expect((await documentOf("cli-managed")).distTags.stable).toBe("1.0.0");
    const removed = await plugins(["tag", "rm", "cli-managed", "stable"]);
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toBe("cli-managed: removed stable (was 1.0.0)\n");
    expect((await documentOf("cli-managed")).distTags.stable).toBeUndefined();
    expectOneLineFailure(
      await plugins(["tag", "rm", "cli-managed", "stable"]),
      1,
      /has no tag 'stable' \(NOT_FOUND, 404/,
    );
    expectOneLineFailure(
      await plugins(["tag", "set", "cli-managed@1.0.0", "1.0"]),
      2,
      /^plugins tag set: tag "1\.0": /,
    );
  });
});

describe("plugins token", () => {
  it("creates a publish token that publishes as PLUGINS_TOKEN, lists it, and revokes it", async () => {
    const created = await plugins([
      "token",
      "create",
      "ci",
      "--plugin",
      "cli-ci-*",
      "--action",
      "publish",
      "yank",
      "--json",
    ]);
    expect(created.status, created.stderr).toBe(0);
    const token = JSON.parse(created.stdout) as { id: string; token: string; actions: string[]; plugins: string[] };
    expect(token.token).toMatch(/^ppt_/);
    expect(token).toMatchObject({ actions: ["publish", "yank"], plugins: ["cli-ci-*"] });

    const published = await plugins(["publish", writeFolder(pluginFolder({ id: "cli-ci-widget" }))], {
      env: { PLUGINS_TOKEN: token.token },
    });
    expect(published.status, published.stderr).toBe(0);
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "cli-ci-widget" });
    expect(plugin.ownerId).toBe("alice");

    const listed = await plugins(["token", "list"]);
    expect(listed.stdout).toMatch(
      new RegExp(`^${token.id}  ci  publish,yank on cli-ci-\\*  expires .*  last used 20`, "m"),
    );
    expect(listed.stdout).not.toContain(token.token);
    const listedJson = JSON.parse((await plugins(["token", "list", "--json"])).stdout) as Array<{ id: string }>;
    expect(listedJson.map((entry) => entry.id)).toContain(token.id);

    const revoked = await plugins(["token", "revoke", token.id]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`token ${token.id} 'ci' is revoked\n`);
    expectOneLineFailure(
      await plugins(["publish", writeFolder(pluginFolder({ id: "cli-ci-widget", version: "1.0.1" }))], {
        env: { PLUGINS_TOKEN: token.token },
      }),
      1,
      /\(UNAUTHORIZED, 401, request /,
    );
  });

  it("refuses bad arguments locally (exit 2) and a publish token's attempt to make tokens (403, exit 1)", async () => {
    expectOneLineFailure(
      await plugins(["token", "create", "ci", "--plugin", "cli-ci-*", "--action", "install"]),
      2,
      /^plugins token create: actions\.0: /,
    );
    expectOneLineFailure(
      await plugins(["token", "create", "ci"]),
      2,
      /required option '--plugin <scopes\.\.\.>' not specified/,
    );
    const { token } = await trpc(stack, alice).tokens.create.mutate({
      name: "x",
      plugins: ["x"],
      actions: ["publish"],
    });
    expectOneLineFailure(
      await plugins(["token", "list"], { env: { PLUGINS_TOKEN: token } }),
      1,
      /A publish token may only publish, deprecate or yank \(FORBIDDEN, 403/,
    );
    expectOneLineFailure(await plugins(["token", "revoke", "nope"]), 2, /^plugins token revoke: token id "nope": /);
  });
});

describe("plugins login", () => {
  it("stores the registry and a token from standard input in $XDG_CONFIG_HOME/plugins/config.json, mode 0600", async () => {
    const config = mkdtempSync(join(sandbox, "xdg-"));
    const run = await plugins(["login", "--registry", `${stack.url}/`], {
      env: { XDG_CONFIG_HOME: config, PLUGINS_REGISTRY: undefined, PLUGINS_TOKEN: undefined },
      input: `${alice}\n`,
    });
    expect(run.status, run.stderr).toBe(0);
    const path = join(config, "plugins", "config.json");
    expect(run.stdout).toBe(`logged in to ${stack.url} (stored in ${path})\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ registry: stack.url, token: alice });

    // The other commands use it, with neither variable set.
    const published = await plugins(["publish", writeFolder(pluginFolder({ id: "cli-login" })), "--json"], {
      env: { XDG_CONFIG_HOME: config, PLUGINS_REGISTRY: undefined, PLUGINS_TOKEN: undefined },
    });
    expect(published.status, published.stderr).toBe(0);
    expect((await trpc(stack).plugins.get.query({ pluginId: "cli-login" })).ownerId).toBe("alice");
  });

  it("falls back to ~/.config when XDG_CONFIG_HOME is unset, and --json never prints the token", async () => {
    const home = mkdtempSync(join(sandbox, "user-"));
    const run = await plugins(["login", "--registry", stack.url, "--token", alice, "--json"], {
      env: { HOME: home, PLUGINS_REGISTRY: undefined, PLUGINS_TOKEN: undefined },
    });
    expect(run.status, run.stderr).toBe(0);
    const path = join(home, ".config", "plugins", "config.json");
    expect(JSON.parse(run.stdout)).toEqual({ registry: stack.url, configFile: path });
    expect(run.stdout).not.toContain(alice);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("PLUGINS_REGISTRY and PLUGINS_TOKEN override the stored login, each on its own", async () => {
    const config = mkdtempSync(join(sandbox, "xdg-"));
    const env = { XDG_CONFIG_HOME: config, PLUGINS_REGISTRY: undefined, PLUGINS_TOKEN: undefined };
    // carol is stored; she may not publish to alice's plugin.
    expect((await plugins(["login", "--registry", stack.url, "--token", carol], { env })).status).toBe(0);
    const folder = writeFolder(pluginFolder({ id: "cli-fresh", version: "1.0.1" }));
    expectOneLineFailure(await plugins(["publish", folder], { env }), 1, /\(FORBIDDEN, 403/);
    const asAlice = await plugins(["publish", folder], { env: { ...env, PLUGINS_TOKEN: alice } });
    expect(asAlice.status, asAlice.stderr).toBe(0);

    // A stored registry that answers nowhere, overridden by PLUGINS_REGISTRY.
    const port = await closedPort();
    writeFileSync(
      join(config, "plugins", "config.json"),
      JSON.stringify({ registry: `http://127.0.0.1:${port}`, token: alice }),
    );
    expectOneLineFailure(await plugins(["info", "cli-fresh"], { env }), 3, /cannot reach the registry/);
    const overridden = await plugins(["info", "cli-fresh", "--json"], { env: { ...env, PLUGINS_REGISTRY: stack.url } });
    expect(overridden.status, overridden.stderr).toBe(0);
    expect(Object.keys((JSON.parse(overridden.stdout) as { versions: object }).versions)).toContain("1.0.1");
  });

  it("stores nothing when the registry cannot be reached (exit 3) or is not a registry (exit 1)", async () => {
    const config = mkdtempSync(join(sandbox, "xdg-"));
    const env = { XDG_CONFIG_HOME: config, PLUGINS_REGISTRY: undefined, PLUGINS_TOKEN: undefined };
    const port = await closedPort();
    expectOneLineFailure(
      await plugins(["login", "--registry", `http://127.0.0.1:${port}`, "--token", alice], { env }),
      3,
      /cannot reach the registry/,
    );
    expectOneLineFailure(
      await plugins(["login", "--registry", `${stack.url}/health`, "--token", alice], { env }),
      1,
      /does not answer as a plugin registry|\(NOT_FOUND, 404/,
    );
    expectOneLineFailure(await plugins(["login", "--registry", stack.url], { env }), 2, /no token: pass --token/);
    expect(() => statSync(join(config, "plugins", "config.json"))).toThrow(/ENOENT/);
  });
});

describe("plugins --help and usage errors", () => {
  const commands = [
    ["publish"],
    ["info"],
    ["verify"],
    ["deprecate"],
    ["yank"],
    ["tag"],
    ["tag", "set"],
    ["tag", "rm"],
    ["token"],
    ["token", "create"],
    ["token", "list"],
    ["token", "revoke"],
    ["login"],
  ];

  it.each([[[]], ...commands.map((command) => [command])])(
    "plugins %j --help prints its usage, the config file and the exit codes, and exits 0",
    async (command) => {
      const run = await plugins([...command, "--help"]);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: plugins ${command.join(" ")}`.trimEnd()));
      expect(run.stdout).toContain("/.config/plugins/config.json");
      expect(run.stdout).toContain("PLUGINS_TOKEN");
      expect(run.stdout).toMatch(/Exit codes: 0 ok, 1 refused/);
      expect(run.stderr).toBe("");
    },
  );

  it.each([
    [["publish", "--bogus"], /^plugins: unknown option '--bogus'$/],
    [["frobnicate"], /^plugins: unknown command 'frobnicate'$/],
    [["yank"], /^plugins: missing required argument 'id@version'$/],
    [["publish", "--tag"], /^plugins: option '--tag <tag>' argument missing$/],
  ])("plugins %j exits 2 with one line, and under --json says so on stdout", async (args, line) => {
    const run = await plugins(args);
    expectOneLineFailure(run, 2, line);
    expect(run.stdout).toBe("");
    // Before the arguments: `--tag --json` would read --json as the tag.
    const [command = "", ...rest] = args;
    const json = await plugins([command, "--json", ...rest]);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "USAGE" } });
  });
});

describe("the package", () => {
  it("installs outside the repository from its pack and runs: the workspace code it uses is bundled", async () => {
    const folder = mkdtempSync(join(sandbox, "install-"));
    const packed = await new Promise<string>((resolve, reject) =>
      execFile(
        "npm",
        ["pack", "--json", "--ignore-scripts", "--pack-destination", folder],
        { cwd: join(ROOT, "packages/cli") },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    const [pack] = JSON.parse(packed) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const { filename, files } = present(pack, "npm pack's answer");
    expect(files.map((file) => file.path).sort()).toEqual(["dist/main.js", "package.json"]);
    writeFileSync(join(folder, "package.json"), JSON.stringify({ name: "outside", private: true }));
    await new Promise<void>((resolve, reject) =>
      execFile(
        "npm",
        ["install", "--no-audit", "--no-fund", "--ignore-scripts", join(folder, filename)],
        { cwd: folder },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    const bin = join(folder, "node_modules", ".bin", "plugins");
    const dryRun = await new Promise<string>((resolve, reject) =>
      execFile(
        bin,
        ["publish", writeFolder(pluginFolder({ id: "cli-outside" })), "--dry-run", "--json"],
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    expect(JSON.parse(dryRun)).toMatchObject({ dryRun: true, id: "cli-outside" });
  }, 180_000);
});
