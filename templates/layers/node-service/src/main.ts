/** Starts the service: settings, tracing, the platform's server with the team's routes. */
import { routes } from "./api.js";
import { createPlatform } from "./platform/server.js";
import { startTelemetry } from "./platform/telemetry.js";
import { settingsFromEnv } from "./settings.js";

const settings = settingsFromEnv();
const telemetry = startTelemetry({
  serviceName: settings.serviceName,
  version: settings.gitCommit,
  exporter: settings.otelTracesExporter,
});
const platform = createPlatform(settings);
await routes(platform.app, settings);
await platform.listen();

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    platform.shutdown(() => telemetry.shutdown()).then(
      () => process.exit(0),
      (error: unknown) => {
        platform.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
