import { describe, expect, it } from "vitest";
import { fakeEnv } from "../test/fake-env";
import { instanceStorage, NO_STORAGE_MESSAGE } from "./storage";

describe("instanceStorage", () => {
  it("reads back what it stored, deletes it, and lists entries by prefix a page at a time", async () => {
    const env = fakeEnv();
    const storage = instanceStorage(env.STORAGE);
    await storage.put("doc:a", { title: "A" });
    await storage.put("doc:b", { title: "B" });
    await storage.put("other", 1);
    expect(await storage.get<{ title: string }>("doc:a")).toEqual({ title: "A" });
    expect(await storage.get("missing")).toBeNull();

    const first = await storage.list<{ title: string }>({ prefix: "doc:", limit: 1 });
    expect(first.entries).toEqual([{ key: "doc:a", value: { title: "A" } }]);
    expect(first.cursor).not.toBeNull();
    const second = await storage.list({ prefix: "doc:", limit: 1, cursor: first.cursor });
    expect(second).toEqual({ entries: [{ key: "doc:b", value: { title: "B" } }], cursor: null });

    expect(await storage.delete("doc:a")).toBe(true);
    expect(await storage.delete("doc:a")).toBe(false);
    expect([...env.stored.keys()].sort()).toEqual(["doc:b", "other"]);
  });

  it("lists from the start without options or with a null cursor, passing no cursor on", async () => {
    const env = fakeEnv();
    const binding = env.STORAGE;
    if (!binding) throw new Error("the fake env has storage");
    await binding.put("k", "v");
    const asked: unknown[] = [];
    const storage = instanceStorage({
      ...binding,
      list(options) {
        asked.push(options);
        return binding.list(options);
      },
    });
    expect(await storage.list()).toEqual({ entries: [{ key: "k", value: "v" }], cursor: null });
    expect(await storage.list({ prefix: "k", cursor: null })).toEqual({
      entries: [{ key: "k", value: "v" }],
      cursor: null,
    });
    expect(asked).toEqual([{}, { prefix: "k" }]);
  });

  it("passes the platform's quota refusal on as it came", async () => {
    const binding = fakeEnv().STORAGE;
    if (!binding) throw new Error("the fake env has storage");
    const full = { ...binding, put: () => Promise.reject(new Error("storage quota of 1024 bytes exceeded")) };
    await expect(instanceStorage(full).put("k", "v")).rejects.toThrow(/^storage quota/);
  });

  it.each(["get", "put", "delete", "list"] as const)(
    "without a storage binding, %s rejects saying the plugin declares no storage permission",
    async (method) => {
      const storage = instanceStorage(fakeEnv({ storage: false }).STORAGE);
      const call = method === "put" ? storage.put("k", 1) : method === "list" ? storage.list() : storage[method]("k");
      await expect(call).rejects.toThrow(new RegExp(`^${NO_STORAGE_MESSAGE}: add "storage"`));
    },
  );
});
