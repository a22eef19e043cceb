// The browser entry a host application imports. The documents themselves stay on the platform:
// a frontend reads them through the instance's operations, GET /api/plugins/sources/:instanceId/search?q=…
export default function activate(host) {
  host.log("documents source ready");
}
