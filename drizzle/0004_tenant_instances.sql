CREATE TYPE "public"."update_policy" AS ENUM('pinned', 'patch', 'minor', 'latest');--> statement-breakpoint
CREATE TABLE "host_extension_points" (
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"contract_version" text NOT NULL,
	CONSTRAINT "host_extension_points_tenant_id_name_pk" PRIMARY KEY("tenant_id","name")
);
--> statement-breakpoint
CREATE TABLE "tenant_hosts" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"version" text NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenant_manifests" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"document" json NOT NULL,
	"etag" text NOT NULL,
	"generated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "installations_tenant_instance_idx";--> statement-breakpoint
DROP INDEX "installations_plugin_idx";--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "previous_version" text;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "update_policy" "update_policy" DEFAULT 'pinned' NOT NULL;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "revision" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "config" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "sealed_secrets" text;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "secrets_set" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "uninstalled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "host_extension_points" ADD CONSTRAINT "host_extension_points_tenant_id_tenant_hosts_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenant_hosts"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "installations_tenant_instance_live_idx" ON "installations" USING btree ("tenant_id","instance_id") WHERE "installations"."status" <> 'uninstalled';--> statement-breakpoint
CREATE INDEX "installations_tenant_idx" ON "installations" USING btree ("tenant_id","installed_at");--> statement-breakpoint
CREATE INDEX "installations_plugin_live_idx" ON "installations" USING btree ("plugin_id") WHERE "installations"."status" <> 'uninstalled';