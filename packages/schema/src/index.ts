export * from "./audit";
export * from "./downloads";
export * from "./identity";
export * from "./installations";
export * from "./issues";
export * from "./plugins";
export * from "./text";
export * from "./versions";
