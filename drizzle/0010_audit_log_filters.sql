CREATE INDEX "audit_log_tenant_action_idx" ON "audit_log" USING btree ("tenant_id","action" text_pattern_ops,"id");--> statement-breakpoint
CREATE INDEX "audit_log_tenant_resource_type_idx" ON "audit_log" USING btree ("tenant_id","resource_type","id");--> statement-breakpoint
CREATE INDEX "audit_log_tenant_resource_id_idx" ON "audit_log" USING btree ("tenant_id","resource_id","id");--> statement-breakpoint
CREATE INDEX "audit_log_tenant_actor_idx" ON "audit_log" USING btree ("tenant_id","actor_id","id");--> statement-breakpoint
CREATE INDEX "audit_log_tenant_occurred_at_idx" ON "audit_log" USING btree ("tenant_id","occurred_at");