import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginFolder, tarGz, uploadFields } from "./archive-fixtures";
import {
  bearer,
  expectNothingChanged,
  expectTrpcShape,
  MALLORY_BYTES,
  seedAttackTargets,
  trpcPost,
} from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import { expectError, multipartForm, pluginMetadata, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * Someone else's plugin: an editor who never maintained it, a maintainer since removed, or a
 * look-alike of its owner's name cannot publish to it or manage it, over REST or /trpc.
 */

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await seedAttackTargets(stack, cast);
});
afterAll(() => stack?.stop());

describe("publishing to or managing someone else's plugin", () => {
  function publishOverTrpc(target: Stack, token: string, metadata: Record<string, unknown>, file?: string) {
    return fetch(`${target.url}/trpc/plugins.publish`, {
      method: "POST",
      body: multipartForm({ metadata, file }),
      headers: bearer(token),
    });
  }

  it("bob, never a maintainer, publishing a new version of alice's plugin over REST: 403, owner and tags kept", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await upload(stack, {
        token: cast.bob,
        metadata: pluginMetadata({ id: "owned", version: "2.0.0" }),
      });
      expect(await expectError(response, 403, "FORBIDDEN")).toContain("owned");
    });
    const { rows } = await stack.db.query("select owner_id from plugins where id = 'owned'");
    expect(rows).toEqual([{ owner_id: "alice" }]);
    const { rows: tags } = await stack.db.query("select tag, version from dist_tags where plugin_id = 'owned'");
    expect(tags).toEqual([{ tag: "latest", version: "1.0.0" }]);
  });

  it("bob, never a maintainer, publishing to alice's plugin over /trpc: FORBIDDEN", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await publishOverTrpc(stack, cast.bob, pluginMetadata({ id: "owned", version: "2.0.0" }));
      expect(await expectTrpcShape(response, 403, "FORBIDDEN", "plugins.publish")).toContain("owned");
    });
  });

  it("bob publishing alice's plugin id inside an archive: 403", async () => {
    await expectNothingChanged(stack, async () => {
      const file = await tarGz(pluginFolder({ id: "owned", version: "3.0.0" }));
      await expectError(await uploadFields(stack, { token: cast.bob, file }), 403, "FORBIDDEN");
    });
  });

  describe("mallory, a maintainer of guarded until alice removed her", () => {
    it("may not publish a new version over REST (403)", async () => {
      await expectNothingChanged(stack, async () => {
        const response = await upload(stack, {
          token: cast.mallory,
          metadata: pluginMetadata({ id: "guarded", version: "2.0.0" }),
        });
        expect(await expectError(response, 403, "FORBIDDEN")).toContain("guarded");
      });
    });

    it("may not re-publish the very version she published, with the same bytes (403, not 200)", async () => {
      await expectNothingChanged(stack, async () => {
        const response = await upload(stack, {
          token: cast.mallory,
          metadata: pluginMetadata({ id: "guarded", version: "1.1.0" }),
          file: MALLORY_BYTES,
        });
        await expectError(response, 403, "FORBIDDEN");
      });
    });

    it("may not publish over /trpc (FORBIDDEN)", async () => {
      await expectNothingChanged(stack, async () => {
        const response = await publishOverTrpc(
          stack,
          cast.mallory,
          pluginMetadata({ id: "guarded", version: "2.0.1" }),
        );
        await expectTrpcShape(response, 403, "FORBIDDEN", "plugins.publish");
      });
    });

    const management: [string, Record<string, unknown>][] = [
      ["versions.yank", { pluginId: "guarded", version: "1.1.0", reason: "mine" }],
      ["versions.deprecate", { pluginId: "guarded", version: "1.0.0", message: "use something else" }],
      ["tags.set", { pluginId: "guarded", tag: "latest", version: "1.1.0" }],
      ["tags.remove", { pluginId: "guarded", tag: "latest" }],
      ["maintainers.add", { pluginId: "guarded", userId: "mallory" }],
      ["maintainers.remove", { pluginId: "guarded", userId: "alice" }],
    ];

    it.each(management)("may not call %s on it (FORBIDDEN)", async (path, input) => {
      await expectNothingChanged(stack, async () => {
        const response = await trpcPost(stack, path, input, bearer(cast.mallory));
        expect(await expectTrpcShape(response, 403, "FORBIDDEN", path)).toContain("guarded");
      });
    });
  });

  it.each([
    ["Alice", "uppercase"],
    ["alice ", "a trailing space"],
    ["\u0430lice", "a Cyrillic а"],
    ["alice\u200b", "a zero-width space"],
    ["ａｌｉｃｅ", "fullwidth letters"],
  ])("a sub %j (alice with %s) is not alice: 403 on her plugin", async (sub) => {
    const token = await stack.token({ sub, role: "editor", tenant: "acme" });
    await expectNothingChanged(stack, async () => {
      const response = await upload(stack, { token, metadata: pluginMetadata({ id: "guarded", version: "3.0.0" }) });
      await expectError(response, 403, "FORBIDDEN");
      await expectTrpcShape(
        await trpcPost(stack, "versions.yank", { pluginId: "guarded", version: "1.0.0" }, bearer(token)),
        403,
        "FORBIDDEN",
        "versions.yank",
      );
    });
  });
});
