CREATE TYPE "public"."installation_status" AS ENUM('installed', 'active', 'inactive', 'uninstalled');--> statement-breakpoint
CREATE TYPE "public"."version_status" AS ENUM('published', 'yanked', 'blocked');--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"tenant_id" text,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request_id" text NOT NULL,
	"ip" text,
	"user_agent" text
);
--> statement-breakpoint
CREATE TABLE "download_counts" (
	"plugin_id" text NOT NULL,
	"version" text NOT NULL,
	"day" date NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "download_counts_plugin_id_version_day_pk" PRIMARY KEY("plugin_id","version","day")
);
--> statement-breakpoint
CREATE TABLE "installations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"instance_id" text NOT NULL,
	"plugin_id" text NOT NULL,
	"version" text NOT NULL,
	"status" "installation_status" DEFAULT 'installed' NOT NULL,
	"installed_by" text NOT NULL,
	"installed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plugins" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text NOT NULL,
	"extension_points" text[] DEFAULT '{}'::text[] NOT NULL,
	"owner_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple', "plugins"."id"), 'A') || setweight(to_tsvector('english', "plugins"."name"), 'A') || setweight(to_tsvector('english', "plugins"."description"), 'B')) STORED NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dist_tags" (
	"plugin_id" text NOT NULL,
	"tag" text NOT NULL,
	"version" text NOT NULL,
	"explicit" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dist_tags_plugin_id_tag_pk" PRIMARY KEY("plugin_id","tag")
);
--> statement-breakpoint
CREATE TABLE "plugin_versions" (
	"plugin_id" text NOT NULL,
	"version" text NOT NULL,
	"manifest" jsonb NOT NULL,
	"entry" text NOT NULL,
	"file_count" integer NOT NULL,
	"size" integer NOT NULL,
	"content_digest" text NOT NULL,
	"integrity" text NOT NULL,
	"status" "version_status" DEFAULT 'published' NOT NULL,
	"status_reason" text,
	"deprecation_message" text,
	"deprecation_replacement" text,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_by" text NOT NULL,
	CONSTRAINT "plugin_versions_plugin_id_version_pk" PRIMARY KEY("plugin_id","version")
);
--> statement-breakpoint
CREATE TABLE "version_files" (
	"plugin_id" text NOT NULL,
	"version" text NOT NULL,
	"path" text NOT NULL,
	"size" integer NOT NULL,
	"content_type" text NOT NULL,
	"sha256" text NOT NULL,
	"integrity" text NOT NULL,
	CONSTRAINT "version_files_plugin_id_version_path_pk" PRIMARY KEY("plugin_id","version","path")
);
--> statement-breakpoint
ALTER TABLE "installations" ADD CONSTRAINT "installations_plugin_id_plugins_id_fk" FOREIGN KEY ("plugin_id") REFERENCES "public"."plugins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dist_tags" ADD CONSTRAINT "dist_tags_plugin_id_plugins_id_fk" FOREIGN KEY ("plugin_id") REFERENCES "public"."plugins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dist_tags" ADD CONSTRAINT "dist_tags_plugin_id_version_plugin_versions_plugin_id_version_fk" FOREIGN KEY ("plugin_id","version") REFERENCES "public"."plugin_versions"("plugin_id","version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plugin_versions" ADD CONSTRAINT "plugin_versions_plugin_id_plugins_id_fk" FOREIGN KEY ("plugin_id") REFERENCES "public"."plugins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "version_files" ADD CONSTRAINT "version_files_plugin_id_version_plugin_versions_plugin_id_version_fk" FOREIGN KEY ("plugin_id","version") REFERENCES "public"."plugin_versions"("plugin_id","version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_tenant_idx" ON "audit_log" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "download_counts_plugin_day_idx" ON "download_counts" USING btree ("plugin_id","day");--> statement-breakpoint
CREATE UNIQUE INDEX "installations_tenant_instance_idx" ON "installations" USING btree ("tenant_id","instance_id");--> statement-breakpoint
CREATE INDEX "installations_plugin_idx" ON "installations" USING btree ("plugin_id");--> statement-breakpoint
CREATE INDEX "plugins_category_idx" ON "plugins" USING btree ("category","id");--> statement-breakpoint
CREATE INDEX "plugins_extension_points_idx" ON "plugins" USING gin ("extension_points");--> statement-breakpoint
CREATE INDEX "plugins_search_idx" ON "plugins" USING gin ("search_vector");