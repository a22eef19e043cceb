ALTER TABLE "plugins" ADD COLUMN "display_name" text;--> statement-breakpoint
ALTER TABLE "plugins" ADD COLUMN "keywords" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "plugin_versions" ADD COLUMN "readme" text;--> statement-breakpoint
-- The search vector takes in the new columns: a generated column's expression cannot be altered,
-- so it is dropped (its index with it) and added again, after the columns it reads.
ALTER TABLE "plugins" DROP COLUMN "search_vector";--> statement-breakpoint
ALTER TABLE "plugins" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple', "plugins"."id"), 'A') || setweight(to_tsvector('english', "plugins"."name"), 'A') || setweight(to_tsvector('english', coalesce("plugins"."display_name", '')), 'A') || setweight(to_tsvector('english', "plugins"."keywords"), 'A') || setweight(to_tsvector('english', "plugins"."description"), 'B')) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "plugins_search_idx" ON "plugins" USING gin ("search_vector");
