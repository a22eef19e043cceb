CREATE TABLE "plugin_maintainers" (
	"plugin_id" text NOT NULL,
	"user_id" text NOT NULL,
	"added_by" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plugin_maintainers_plugin_id_user_id_pk" PRIMARY KEY("plugin_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "plugin_maintainers" ADD CONSTRAINT "plugin_maintainers_plugin_id_plugins_id_fk" FOREIGN KEY ("plugin_id") REFERENCES "public"."plugins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "plugin_maintainers_user_idx" ON "plugin_maintainers" USING btree ("user_id");