/**
 * The headers of the marketplace and console pages. The policy allows script and style only
 * from the app's own build folder (`/assets/`), not from the whole origin: locally, plugin
 * bundles are served from this same origin (`/plugins/bundles/…`), and a path-restricted
 * `script-src` keeps even a bundle file that got into a page from running in it. Images may
 * come from this origin and the bundle origin (plugin icons); requests go to this origin only.
 * No inline script, no eval, no third-party origin, no framing.
 */
export function pageSecurityHeaders(pageOrigin: string, bundleOrigin: string): Record<string, string> {
  const images = ["'self'", "data:", ...(bundleOrigin === pageOrigin ? [] : [bundleOrigin])].join(" ");
  const policy = [
    "default-src 'none'",
    `script-src ${pageOrigin}/assets/`,
    `style-src ${pageOrigin}/assets/`,
    `img-src ${images}`,
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join("; ");
  return {
    "content-security-policy": policy,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  };
}

/** Every file under /assets/ has its content hash in its name (Vite's build): it never changes. */
export function pageCacheControl(path: string): string {
  return path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
}
