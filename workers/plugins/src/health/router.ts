import { sql } from "drizzle-orm";
import { publicProcedure, router } from "../trpc/init";

type PartStatus = "ok" | "failing";

/** Times out a probe so a hung dependency reports as failing instead of hanging the check. */
async function probe(check: () => Promise<unknown>, timeoutMs = 3000): Promise<PartStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return "ok";
  } catch {
    return "failing";
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export const healthRouter = router({
  check: publicProcedure.query(async ({ ctx }) => {
    const [postgres, r2] = await Promise.all([
      probe(() => ctx.db.execute(sql`select 1`)),
      probe(() => ctx.bucket.list({ limit: 1 })),
    ]);
    return { postgres, r2 };
  }),
});
