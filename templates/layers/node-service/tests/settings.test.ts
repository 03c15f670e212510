import assert from "node:assert/strict";
import { test } from "node:test";
import { loadSettings, SettingsError } from "../src/platform/settings.js";

test("python-service's environment variables and level names work unchanged", () => {
  const settings = loadSettings({
    LOG_LEVEL: "WARNING",
    OUTBOUND_RESOLVE_INSTANCES: "false",
    OUTBOUND_OUTLIER_EJECTION_SECONDS: "12.5",
    OUTBOUND_HOST_IDLE_SECONDS: "60",
  });
  assert.equal(settings.logLevel, "warn");
  assert.equal(settings.outboundResolveInstances, false);
  assert.equal(settings.outboundOutlierEjectionSeconds, 12.5);
  assert.equal(settings.outboundHostIdleSeconds, 60);
  assert.equal(loadSettings({ LOG_LEVEL: "critical" }).logLevel, "fatal");
});

test("an invalid value stops the service with a message naming the variable", () => {
  for (const [name, value] of [
    ["LOG_LEVEL", "verbose"],
    ["OUTBOUND_OUTLIER_MAX_EJECTION_PERCENT", "150"],
    ["OUTBOUND_OUTLIER_CONSECUTIVE_FAILURES", "0"],
    ["OUTBOUND_RESOLVE_INSTANCES", "maybe"],
  ] as const) {
    assert.throws(() => loadSettings({ [name]: value }), (error: unknown) => {
      assert.ok(error instanceof SettingsError);
      assert.match(error.message, new RegExp(`^${name}="${value}": `));
      return true;
    });
  }
});
