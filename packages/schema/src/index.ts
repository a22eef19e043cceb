export * from "./audit";
export * from "./identity";
export * from "./installations";
export * from "./issues";
export * from "./plugins";
