/**
 * Runtime helpers both workers use: code that runs inside Workers (WebCrypto, no Node APIs)
 * and belongs to no single resource of the domain.
 */
export {
  booleanVar,
  ConfigError,
  configReader,
  integerVar,
  listVar,
  optionalSecret,
  requiredSecret,
  textVar,
  urlVar,
} from "./config-vars";
export { type DigestInput, sha256, sha256Hex, sha384, strongEtag } from "./digest";
export { decodeBase64, encodeBase64, encodeBase64url, encodeHex } from "./encoding";
export { hs256Key } from "./hmac-keys";
export { createLogger, type LogEvent, type LogLevel, type WorkerName } from "./log";
