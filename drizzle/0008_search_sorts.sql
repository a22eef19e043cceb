ALTER TABLE "plugins" ADD COLUMN "downloads" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Written by hand: the all-time total starts as the sum of the counts recorded so far (from here
-- on downloads/record.ts adds each batch to both in one transaction); before the index, so it is built once.
UPDATE "plugins" SET "downloads" = "totals"."count"
  FROM (SELECT "plugin_id", sum("count") AS "count" FROM "download_counts" GROUP BY "plugin_id") AS "totals"
  WHERE "plugins"."id" = "totals"."plugin_id";--> statement-breakpoint
CREATE INDEX "plugins_updated_idx" ON "plugins" USING btree ("updated_at" DESC NULLS FIRST,"id");--> statement-breakpoint
CREATE INDEX "plugins_downloads_idx" ON "plugins" USING btree ("downloads" DESC NULLS FIRST,"id");
