CREATE TABLE "tenant_policies" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"require_signatures" boolean DEFAULT false NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "plugin_versions" ADD COLUMN "signature" jsonb;