/**
 * Run a chaos experiment against the service, all on 127.0.0.1 (`make chaos`):
 *
 *     node dist/src/platform/chaos/run.js [--experiment chaos/experiment.json]
 *         [--journal chaos/journal.json] [--set NAME=VALUE ...]
 *
 * 1. a stand-in for the dependency and, in front of it, the fault proxy (../faults.ts)
 *    with its control API;
 * 2. the service itself, `node dist/src/main.js` in a process of its own, with
 *    EXAMPLE_DOWNSTREAM_URL pointing at the proxy, the environment the experiment declares
 *    (its `service` extension: shorter periods so a run takes seconds) and `--set` on top
 *    (a test breaks a property this way: BREAKER_ENABLED=false);
 * 3. `chaos run` (Chaos Toolkit, installed into .venv by `make install`; CHAOS names
 *    another) with `service_url` and `fault_proxy` given as configuration, writing the
 *    journal; its probes are ./probes.ts, its control chaos/hypotheses.py;
 * 4. a verdict per hypothesis with its measured figure (./verdicts.ts); exit status 0 when
 *    the experiment passed, 1 when it did not.
 *
 * The service's log and Chaos Toolkit's log go beside the journal (`*.log`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { devNull } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { FaultProxy } from "../faults.js";
import { type Outcome, readOutcome, render } from "./verdicts.js";

const MAIN = fileURLToPath(new URL("../../main.js", import.meta.url));

/** The environment the experiment's `service` extension declares for the service. */
export function serviceEnvironment(experiment: { extensions?: { name?: string; environment?: object }[] }): Record<string, string> {
  const extension = (experiment.extensions ?? []).find((item) => item.name === "service");
  return Object.fromEntries(Object.entries(extension?.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Run `experiment` against a freshly started service; the journal is written to `journal`. */
export async function runExperiment(
  experiment: string,
  journal: string,
  overrides: Record<string, string> = {},
): Promise<Outcome> {
  const declared = JSON.parse(readFileSync(experiment, "utf8"));
  mkdirSync(dirname(journal), { recursive: true });
  rmSync(journal, { force: true });
  const stem = journal.replace(/\.json$/, "");
  const dependency = await standIn();
  const proxy = await FaultProxy.start(dependency.url);
  let output = "";
  try {
    const environment = {
      ...serviceEnvironment(declared),
      ...overrides,
      EXAMPLE_DOWNSTREAM_URL: `${proxy.url}/example`,
    };
    const service = await startService(environment, `${stem}.service.log`);
    try {
      const chaos = process.env.CHAOS || ".venv/bin/chaos";
      const args = [
        "--no-version-check",
        "--log-file", `${stem}.chaostoolkit.log`,
        "--settings", devNull,
        "run", experiment, "--journal-path", journal,
        "--var", `service_url=${service.url}`, "--var", `fault_proxy=${proxy.controlUrl}`,
      ];
      // chaos/hypotheses.py (the experiment's control) is imported from beside the experiment.
      const env = { ...process.env, PYTHONPATH: [dirname(resolve(experiment)), process.env.PYTHONPATH].filter(Boolean).join(":") };
      output = await finished(spawn(chaos, args, { env, stdio: ["ignore", "pipe", "pipe"] }));
    } finally {
      await service.stop();
    }
  } finally {
    await proxy.close();
    await dependency.close();
  }
  if (!existsSync(journal)) throw new Error(`chaos run wrote no journal:\n${output}`);
  return readOutcome(JSON.parse(readFileSync(journal, "utf8")));
}

/** The dependency the experiment's faults are injected in front of: answers 200 at once. */
async function standIn(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok": true}');
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** The command's output (stdout and stderr) once it exits; an error when it cannot start. */
function finished(child: ChildProcess): Promise<string> {
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((done, fail) => {
    child.once("error", (error) => fail(new Error(`cannot run ${child.spawnfile}: ${error.message} (make install installs it)`)));
    child.once("close", () => done(output));
  });
}

/** The service (`node dist/src/main.js`) on a free loopback port. */
async function startService(
  environment: Record<string, string>,
  log: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output = createWriteStream(log);
  await new Promise((done) => output.once("open", done));
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...environment, HOST: "127.0.0.1", PORT: String(port) },
    stdio: ["ignore", output, output],
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    }
    output.end();
  };
  try {
    await waitReady(url, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    if (child.exitCode !== null) throw new Error(`the service exited with status ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error("the service was not ready within 60 s");
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      experiment: { type: "string", default: "chaos/experiment.json" },
      journal: { type: "string", default: "chaos/journal.json" },
      set: { type: "string", multiple: true, default: [] },
    },
  });
  try {
    const overrides = Object.fromEntries(
      (values.set ?? []).map((item) => {
        if (!item.includes("=")) throw new Error(`--set ${item}: NAME=VALUE expected`);
        return [item.slice(0, item.indexOf("=")), item.slice(item.indexOf("=") + 1)];
      }),
    );
    const outcome = await runExperiment(values.experiment ?? "", values.journal ?? "", overrides);
    process.stdout.write(`${render(outcome, values.journal ?? "")}\n`);
    return outcome.passed ? 0 : 1;
  } catch (error) {
    process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = await main(process.argv.slice(2));
