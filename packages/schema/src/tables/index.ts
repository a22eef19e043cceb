/**
 * The drizzle tables: what the plugins worker and drizzle-kit use. Kept apart from the wire
 * contract (`@plugins/schema`) so that the API worker, which only validates and forwards,
 * never bundles drizzle-orm.
 */
export * from "./audit";
export * from "./downloads";
export * from "./installations";
export * from "./maintainers";
export * from "./plugins";
export * from "./publish-tokens";
export * from "./read-models";
export * from "./tenants";
export * from "./versions";
