/**
 * An error answer in the platform's envelope, `{"error": {"code", "message"}}`, so a client
 * reads the SDK's refusals like the platform's own (which add the request id).
 */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Response {
  return Response.json({ error: { code, message } }, headers ? { status, headers } : { status });
}
