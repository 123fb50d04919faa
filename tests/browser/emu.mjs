// Helpers for the browser tests: start/stop the emulator binary, launch Debian's Chromium with
// playwright-core, build authorization URLs, redeem codes at the token endpoint.
// Everything is bounded: every wait has a timeout, nothing is retried forever.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const ARTIFACTS = path.join(REPO, 'target', 'browser');

export const EMU_BIN = process.env.LASUITE_EMU_BIN || path.join(REPO, 'target', 'debug', 'lasuite-emu');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export const SECRET = 'ThisIsAnExampleKeyForDevPurposeOnly';
export const RP_ORIGIN = 'http://localhost:8071';
export const REDIRECT_URI = `${RP_ORIGIN}/api/v1.0/callback/`;
export const STATE = 's123';
export const NONCE = 'n456';

export const READY_TIMEOUT_MS = 20_000;
export const HTTP_TIMEOUT_MS = 10_000;
export const ACTION_TIMEOUT_MS = 10_000;
export const NAV_TIMEOUT_MS = 15_000;

/**
 * Start `lasuite-emu serve --listen 127.0.0.1:<port, default 0> --ephemeral --ready-file <tmp>
 * [--fixtures F]...` and wait (at most READY_TIMEOUT_MS) until the ready file holds
 * {"url", "pid"}. Its output goes to target/browser/<logName>.log.
 * Returns { url, pid, proc, logFile, stop() }.
 */
export async function startEmulator({ port = 0, fixtures = [], logName = 'emulator', host = '127.0.0.1', extraArgs = [] } = {}) {
  if (!fs.existsSync(EMU_BIN)) {
    throw new Error(`emulator binary not found at ${EMU_BIN} (build it with \`cargo build\`, or set LASUITE_EMU_BIN)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lasuite-emu-browser-'));
  const readyFile = path.join(dir, 'ready.json');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const logFile = path.join(ARTIFACTS, `${logName}.log`);
  const logFd = fs.openSync(logFile, 'w');
  const args = ['serve', '--listen', `${host}:${port}`, '--ephemeral', '--ready-file', readyFile, ...extraArgs];
  for (const fixture of fixtures) args.push('--fixtures', fixture);
  const proc = spawn(EMU_BIN, args, {
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exited = null;
  proc.on('exit', (code, signal) => { exited = { code, signal }; });
  proc.on('error', (err) => { exited = { error: err }; });

  const stop = async () => {
    if (exited) return;
    proc.kill('SIGTERM');
    const deadline = Date.now() + 5_000;
    while (!exited && Date.now() < deadline) await sleep(50);
    if (!exited) proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let ready = null;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const parsed = JSON.parse(fs.readFileSync(readyFile, 'utf8'));
      if (parsed && typeof parsed.url === 'string' && Number.isInteger(parsed.pid)) {
        ready = parsed;
        break;
      }
    } catch {
      // not written yet, or written partially
    }
    await sleep(100);
  }
  if (!ready) {
    await stop();
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
    throw new Error(
      `emulator not ready within ${READY_TIMEOUT_MS} ms (exit: ${JSON.stringify(exited)}); log tail:\n${log}`,
    );
  }
  return { url: ready.url.replace(/\/$/, ''), pid: ready.pid, ca: ready.ca, proc, logFile, stop };
}

/**
 * Stand-in for the relying party's callback: answers every request with
 * `<h1>callback</h1>` on an ephemeral 127.0.0.1 port. Returns { port, hits, close() }.
 *
 * Why it is needed besides the page.route() below: Playwright never routes the target of an
 * HTTP redirect (in Chromium it sends Fetch.continueRequest for any request that has a
 * redirectedFrom, see playwright PR #2617 "disallow intercepting redirects"), and the emulator
 * reaches the redirect_uri with a 302. Chromium is launched with a host-resolver rule that maps
 * localhost:8071 to this server, so the browser really loads the callback and its URL carries
 * code/state.
 */
export async function startCallbackServer() {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('<h1>callback</h1>');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
  };
  return { port: server.address().port, hits, close };
}

/**
 * Start the two stand-in Django apps of tests/clients (a Docs-like and a Drive-like app, each
 * configured only from `lasuite-emu env docs|drive`) against `emu`, with the real-client
 * suite's virtualenv (tests/clients/run.sh creates it). Returns { docs, drive, stop() } where
 * docs and drive are the apps' URLs (http://localhost:PORT).
 * With `media: { docs: PORT, drive: PORT }`, the apps listen on the emulator's host on those
 * ports (the emulator was started with their `env APP --fixture` lines, see mediaFixtures).
 */
export async function startStandIns(emu, { media = null, logName = 'standins' } = {}) {
  const clients = path.join(REPO, 'tests', 'clients');
  const python = path.join(clients, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) {
    throw new Error(`${python} not found: run tests/clients/venv.sh to create the virtualenv`);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lasuite-emu-standins-'));
  const logPath = path.join(ARTIFACTS, `${logName}.log`);
  const logFd = fs.openSync(logPath, 'w');
  const args = ['standins.py', '--emulator', emu.url, '--workdir', workdir];
  if (media) args.push('--media', '--docs-port', String(media.docs), '--drive-port', String(media.drive));
  const proc = spawn(python, args, {
    cwd: clients,
    stdio: ['ignore', 'pipe', logFd],
    env: { ...process.env, LASUITE_EMU_BIN: EMU_BIN },
  });
  fs.closeSync(logFd);
  let exited = null;
  proc.on('exit', (code, signal) => { exited = { code, signal }; });
  const urls = {};
  let buffered = '';
  proc.stdout.on('data', (chunk) => {
    buffered += chunk;
    for (const line of buffered.split('\n').slice(0, -1)) {
      const [name, url] = line.trim().split(' ');
      if (name && url) urls[name] = url;
    }
    buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
  });
  const stop = async () => {
    if (!exited) proc.kill('SIGTERM');
    const deadline = Date.now() + 15_000;
    while (!exited && Date.now() < deadline) await sleep(50);
    if (!exited) proc.kill('SIGKILL');
    fs.rmSync(workdir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!(urls.docs && urls.drive)) {
    if (exited || Date.now() > deadline) {
      await stop();
      const log = fs.readFileSync(logPath, 'utf8').slice(-3000);
      throw new Error(`stand-in apps did not start (exit: ${JSON.stringify(exited)}); log tail:\n${log}`);
    }
    await sleep(100);
  }
  return { docs: urls.docs, drive: urls.drive, stop };
}

/** A free TCP port of 127.0.0.1 (closed again: the caller binds it soon after). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The media-links setup chosen before anything starts: ports for the emulator and both apps
 * (on 127.0.0.1, the emulator's host, so the apps' session cookies reach MEDIA_BASE_URL), and
 * the fixture files `lasuite-emu env APP --fixture --url EMU --app-url APP` prints, for
 * `serve --fixtures`. Returns { emulatorPort, emulatorUrl, apps: { docs, drive }, fixtures }.
 */
export async function mediaFixtures() {
  const emulatorPort = await freePort();
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const apps = { docs: await freePort(), drive: await freePort() };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lasuite-emu-media-'));
  const fixtures = [];
  for (const [name, port] of Object.entries(apps)) {
    const lines = execFileSync(EMU_BIN, ['env', name, '--fixture', '--url', emulatorUrl, '--app-url', `http://127.0.0.1:${port}`, '--api-url', `http://127.0.0.1:${port}`], { encoding: 'utf8', timeout: 30_000 });
    const file = path.join(dir, `${name}-app.toml`);
    fs.writeFileSync(file, lines);
    fixtures.push(file);
  }
  return { emulatorPort, emulatorUrl, apps, fixtures };
}

/**
 * Launch headless Debian Chromium; Playwright gives it a fresh temporary profile.
 * callbackPort: the port of startCallbackServer(), which localhost:8071 is mapped to (none
 * when the test has real apps to come back to).
 */
export async function launchBrowser(callbackPort, { env } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    ...(env ? { env } : {}),
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(callbackPort ? [`--host-resolver-rules=MAP ${new URL(RP_ORIGIN).host} 127.0.0.1:${callbackPort}`] : []),
    ],
  });
}

/** A new context + page with bounded default timeouts and the RP callback routed. */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  const page = await context.newPage();
  await routeCallback(page);
  return { context, page };
}

/**
 * No relying party listens on localhost:8071: answer its callback in the browser. This catches
 * direct navigations to the callback; redirects to it are not routable (see
 * startCallbackServer) and reach the stand-in server instead, with the same answer.
 */
export async function routeCallback(page) {
  await page.route(`${RP_ORIGIN}/**`, (r) =>
    r.fulfill({ status: 200, contentType: 'text/html', body: '<h1>callback</h1>' }),
  );
}

export function authUrl(emu, { realm, client, prompt } = {}) {
  let u =
    `${emu.url}/realms/${realm}/protocol/openid-connect/auth?response_type=code` +
    `&client_id=${encodeURIComponent(client)}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}` +
    `&scope=openid%20email&state=${STATE}&nonce=${NONCE}`;
  if (prompt) u += `&prompt=${encodeURIComponent(prompt)}`;
  return u;
}

export function tokenUrl(emu, realm) {
  return `${emu.url}/realms/${realm}/protocol/openid-connect/token`;
}

export function isCallback(url) {
  return String(url).startsWith(REDIRECT_URI);
}

/** Wait until the page is on the RP callback; return its query parameters. */
export async function waitForCallback(page) {
  await page.waitForURL((u) => isCallback(u.href), { timeout: NAV_TIMEOUT_MS });
  return new URL(page.url()).searchParams;
}

/** Redeem an authorization code server-side. Returns { status, body (parsed or text) }. */
export async function exchangeCode(emu, { realm, client, code }) {
  const resp = await fetch(tokenUrl(emu, realm), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: client,
      client_secret: SECRET,
    }),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await resp.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* keep text for the message */ }
  return { status: resp.status, body };
}

/** Unverified payload of a compact JWS (for assertions only). */
export function jwtPayload(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWS: ${String(token).slice(0, 80)}`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

/** Screenshot into target/browser/<name>.png; returns the path. */
export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: ACTION_TIMEOUT_MS });
  return file;
}

/** Compact description of where a page is, for assertion messages. */
export async function describePage(page) {
  let html = '';
  try { html = (await page.content()).replace(/\s+/g, ' ').slice(0, 1500); } catch (e) { html = `<content unavailable: ${e.message}>`; }
  return `url=${page.url()} html=${html}`;
}

/** Run fn with a hard deadline (for cleanup steps that must not hang the run). */
export async function withDeadline(promise, ms, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}
