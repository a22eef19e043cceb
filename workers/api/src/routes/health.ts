import { createLogger } from "@plugins/runtime";
import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { pluginsClient } from "../plugins-client";

const logEvent = createLogger("api");

type PartStatus = "ok" | "failing" | "unknown";

/** `200` when every part answers; `503` naming the parts that do not. */
export function registerHealth(app: Hono<AppEnv>) {
  app.get("/health", async (c) => {
    let parts: Record<"api" | "plugins" | "postgres" | "r2", PartStatus> = {
      api: "ok",
      plugins: "failing",
      postgres: "unknown",
      r2: "unknown",
    };
    try {
      parts = { ...parts, plugins: "ok", ...(await pluginsClient(c).health.check.query()) };
    } catch (error) {
      // Postgres and R2 sit behind the plugins worker; without its answer they stay unknown.
      logEvent("warn", "health_plugins_failing", { requestId: c.get("requestId"), message: String(error) });
    }
    const failing = Object.entries(parts)
      .filter(([, status]) => status !== "ok")
      .map(([part]) => part);
    c.header("cache-control", "no-store");
    return c.json(
      { status: failing.length === 0 ? "ok" : "failing", parts, failing },
      failing.length === 0 ? 200 : 503,
    );
  });
}
