import { decodeBase64, encodeBase64 } from "@plugins/runtime";
import canonicalize from "canonicalize";

/*
 * Version signatures, like npm's registry signatures: at publish the plugins worker signs,
 * with Ed25519, a statement of what a version is, and serves the public keys at `GET /api/keys`.
 * Anyone holding the key set checks a version with `verifyVersionSignature`, in Workers, Node
 * or a browser (WebCrypto only).
 *
 * The statement is RFC 8785 canonical JSON of
 *   { statementVersion: 1, plugin, version, entry: <the entry file's SRI>, files: <filesDigest> }
 * where `filesDigest` is `sha384-<base64>` of the canonical JSON object mapping every path of
 * the version to its SRI (plugin.json, when the archive had one, is among them). The entry's
 * SRI is named apart so that a loader holding only a tenant manifest's entry can check the one
 * file it imports; the files digest covers the rest. `statementVersion` lets the format grow:
 * a verifier refuses a version it does not know rather than misreading it.
 */

export const STATEMENT_VERSION = 1;

/** A version's signature, as its metadata, the package document and manifest entries carry it. */
export interface VersionSignature {
  keyid: string;
  statementVersion: number;
  /** The files digest the statement names. */
  files: string;
  /** Ed25519 signature of the statement's UTF-8 bytes, base64. */
  sig: string;
  signedAt: string;
}

/** One public key of `GET /api/keys`, in npm's shape: `key` is the base64 SPKI (DER). */
export interface SigningPublicKey {
  keyid: string;
  keytype: "ed25519";
  scheme: "ed25519";
  key: string;
  created: string;
  /** Until when versions it signed verify; null for no end. */
  expires: string | null;
}

export interface KeySet {
  keys: SigningPublicKey[];
}

/** What a statement says of a version. */
export interface StatedVersion {
  plugin: string;
  version: string;
  /** The entry file's SRI. */
  entry: string;
  files: string;
}

const ED25519 = { name: "Ed25519" } as const;

/** The digest a statement names for a version's files: every path with its SRI, canonical. */
export async function filesDigest(files: ReadonlyArray<{ path: string; integrity: string }>): Promise<string> {
  const listing = canonicalize(Object.fromEntries(files.map((file) => [file.path, file.integrity]))) ?? "{}";
  const digest = await crypto.subtle.digest("SHA-384", new TextEncoder().encode(listing));
  return `sha384-${encodeBase64(new Uint8Array(digest))}`;
}

/** The bytes that are signed: the canonical statement of `stated`. */
export function statementBytes(stated: StatedVersion): Uint8Array<ArrayBuffer> {
  const { plugin, version, entry, files } = stated;
  const statement = { statementVersion: STATEMENT_VERSION, plugin, version, entry, files };
  return new Uint8Array(new TextEncoder().encode(canonicalize(statement) ?? ""));
}

/** Signs `stated` with an Ed25519 private key. */
export async function signStatement(privateKey: CryptoKey, stated: StatedVersion): Promise<string> {
  return encodeBase64(new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, statementBytes(stated))));
}

/** Why a version's signature cannot be trusted, or null when it verifies. */
export type SignatureProblem =
  | { reason: "unsigned"; message: string }
  | { reason: "unknown-key"; message: string }
  | { reason: "expired-key"; message: string }
  | { reason: "unsupported-statement"; message: string }
  | { reason: "bad-signature"; message: string };

/**
 * Checks `signature` of the version `stated` against `keys` at `now`: signed by a listed key
 * that has not expired, over this very statement. Null when it verifies.
 */
export async function verifyVersionSignature(
  stated: StatedVersion,
  signature: VersionSignature | null | undefined,
  keys: KeySet,
  now = new Date(),
): Promise<SignatureProblem | null> {
  const name = `${stated.plugin}@${stated.version}`;
  if (!signature) return { reason: "unsigned", message: `${name} is not signed` };
  if (signature.statementVersion !== STATEMENT_VERSION) {
    return {
      reason: "unsupported-statement",
      message: `${name} is signed with statement version ${signature.statementVersion}, which this verifier does not know`,
    };
  }
  const key = keys.keys.find((candidate) => candidate.keyid === signature.keyid);
  if (!key)
    return { reason: "unknown-key", message: `${name} is signed by key '${signature.keyid}', which is not listed` };
  if (key.expires !== null && Date.parse(key.expires) <= now.getTime()) {
    return {
      reason: "expired-key",
      message: `${name} is signed by key '${key.keyid}', which expired on ${key.expires}`,
    };
  }
  const bad = { reason: "bad-signature", message: `${name}'s signature does not match its content` } as const;
  if (signature.files !== stated.files) return bad;
  try {
    const publicKey = await crypto.subtle.importKey("spki", decodeBase64(key.key), ED25519, false, ["verify"]);
    const valid = await crypto.subtle.verify(ED25519, publicKey, decodeBase64(signature.sig), statementBytes(stated));
    return valid ? null : bad;
  } catch {
    return bad;
  }
}

/** The base64 SPKI of an Ed25519 public key, as `SigningPublicKey.key` carries it. */
export async function publicKeyText(publicKey: CryptoKey): Promise<string> {
  return encodeBase64(new Uint8Array((await crypto.subtle.exportKey("spki", publicKey)) as ArrayBuffer));
}
