// The dashboard (/_emu/) in headless Chromium, on data made through real flows: a login
// through the login page, a Drive upload (create, presigned PUT, upload-ended), a refused
// token request. Every page renders it; mutations made by clicking are checked through the
// services' own APIs (introspection, S3 with a SigV4 signature, the token endpoint); the
// journal's live tail shows a refused request with its reason (bounded wait); beyond
// loopback the admin-key form lets the browser in. Screenshots go to target/browser/.
//
// Run: tests/browser/run.sh dashboard.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import {
  startEmulator, startCallbackServer, launchBrowser, newPage, authUrl, waitForCallback, exchangeCode,
  screenshot, describePage, withDeadline, freePort, SECRET, ARTIFACTS,
} from './emu.mjs';

const TEST_TIMEOUT_MS = 60_000;
const SEEN_TIMEOUT_MS = 5_000;

let emu;
let rp;
let browser;
let loginToken;
let upload;

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

async function json(url, init = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* keep the text */ }
  return { status: response.status, body };
}

async function introspect(token) {
  const { body } = await json(`${emu.url}/realms/lasuite/protocol/openid-connect/token/introspect`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'drive', client_secret: SECRET, token }),
  });
  return body;
}

/** A SigV4-signed S3 GET with the fixture credential `docs` / `password`. */
async function s3Get(path) {
  const url = new URL(path, emu.url);
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const payload = sha256('');
  const headers = `host:${url.host}\nx-amz-content-sha256:${payload}\nx-amz-date:${amzDate}\n`;
  const signed = 'host;x-amz-content-sha256;x-amz-date';
  const canonical = ['GET', url.pathname, '', headers, signed, payload].join('\n');
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
  let key = hmac('AWS4password', day);
  for (const part of ['us-east-1', 's3', 'aws4_request']) key = hmac(key, part);
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  const response = await fetch(url, {
    headers: {
      'x-amz-date': amzDate,
      'x-amz-content-sha256': payload,
      Authorization: `AWS4-HMAC-SHA256 Credential=docs/${scope}, SignedHeaders=${signed}, Signature=${signature}`,
    },
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return response.status;
}

async function refusedTokenRequest() {
  return json(`${emu.url}/realms/lasuite/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'docs', client_secret: 'wrong' }),
  });
}

async function driveUpload() {
  const minted = await json(`${emu.url}/_emu/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: 'docs', username: 'alice' }),
  });
  const token = minted.body.access_token;
  const auth = { Authorization: `Bearer ${token}` };
  const created = await json(`${emu.url}/external_api/v1.0/items/`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'file', filename: 'notes.txt' }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const put = await fetch(created.body.policy, {
    method: 'PUT', headers: { 'x-amz-acl': 'private' }, body: 'hello from the browser test',
  });
  assert.equal(put.status, 200, await put.text());
  const ended = await json(`${emu.url}/external_api/v1.0/items/${created.body.id}/upload-ended/`, {
    method: 'POST', headers: auth,
  });
  assert.equal(ended.status, 200, JSON.stringify(ended.body));
  return { id: created.body.id, token };
}

/** A small viewport-only screenshot (target/browser/NAME.png), the kind the README shows. */
async function readmeShot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), clip: { x: 0, y: 0, width: 1100, height: 620 } });
}

async function openPage(path, { width = 1280 } = {}) {
  const { context, page } = await newPage(browser);
  await page.setViewportSize({ width, height: 900 });
  page.on('dialog', (dialog) => dialog.accept());
  const response = await page.goto(`${emu.url}${path}`);
  return { context, page, response };
}

describe('the dashboard', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  before(async () => {
    emu = await startEmulator({ logName: 'dashboard' });
    rp = await startCallbackServer();
    browser = await launchBrowser(rp.port);
    // A login through the login page's picker, the code redeemed by "Docs".
    const { context, page } = await newPage(browser);
    await page.goto(authUrl(emu, { realm: 'lasuite', client: 'docs' }));
    await page.locator('#emu-user-picker button', { hasText: 'alice@' }).click();
    const params = await waitForCallback(page);
    const { status, body } = await exchangeCode(emu, { realm: 'lasuite', client: 'docs', code: params.get('code') });
    assert.equal(status, 200, JSON.stringify(body));
    loginToken = body.access_token;
    await context.close();
    upload = await driveUpload();
    const refused = await refusedTokenRequest();
    assert.equal(refused.status, 401);
  });

  after(async () => {
    await withDeadline(browser?.close() ?? Promise.resolve(), 10_000, 'closing the browser').catch(() => {});
    await rp?.close();
    await emu?.stop();
  });

  test('the overview shows the services, counts and env blocks', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page, response } = await openPage('/_emu/');
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('#count-drive_items').textContent(), '1', await describePage(page));
    assert.equal(await page.locator('#count-objects').textContent(), '1');
    assert.match(await page.locator('#env-docs').textContent(), /OIDC_OP_TOKEN_ENDPOINT=/);
    assert.ok(await page.getByRole('button', { name: 'Copy' }).first().isEnabled());
    await screenshot(page, 'dashboard-overview');
    await context.close();
  });

  // A measurement, not a timed assertion (machines here are shared): each page's first
  // contentful paint as Chromium's paint timing reports it, and when its HTML had arrived,
  // from a cold tab (a new browser context) and warm (the next page in the same tab, as a
  // user clicking through the tabs), into target/browser/dashboard-first-paint.json.
  test('every page paints: first contentful paint measured', { timeout: TEST_TIMEOUT_MS }, async () => {
    const pages = ['/_emu/', '/_emu/identity', '/_emu/s3', '/_emu/drive', '/_emu/requests', '/_emu/control'];
    const timing = (page) => page.evaluate(() => new Promise((resolve) => {
      const html = performance.getEntriesByType('navigation')[0].responseEnd;
      const report = (fcp) => resolve({ html_ms: Math.round(html * 10) / 10, fcp_ms: Math.round(fcp * 10) / 10 });
      const seen = performance.getEntriesByName('first-contentful-paint')[0];
      if (seen) { report(seen.startTime); return; }
      new PerformanceObserver((list) => report(list.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
    }));
    // Tabs as a user has them: no Playwright request routing (the other tests' callback
    // route sends every request of a page through the test process, which a browser does not).
    const plainTab = async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      return { context, page: await context.newPage() };
    };
    const floor = 'data:text/html,<p>the browser alone</p>';
    const measured = { cold: {}, warm: {} };
    for (const url of [...pages, floor]) {
      const { context, page } = await plainTab();
      const response = await page.goto(url.startsWith('data:') ? url : `${emu.url}${url}`);
      assert.ok(url.startsWith('data:') || response.status() === 200, url);
      measured.cold[url.startsWith('data:') ? 'data: (no server, for scale)' : url] = await timing(page);
      await context.close();
    }
    const { context, page } = await plainTab();
    await page.goto(`${emu.url}/_emu/`);
    for (const url of pages) {
      const response = await page.goto(`${emu.url}${url}`);
      assert.equal(response.status(), 200, url);
      measured.warm[url] = await timing(page);
    }
    // The floor: the same tab painting a one-paragraph page that needs no server at all.
    await page.goto(floor);
    measured.warm['data: (no server, for scale)'] = await timing(page);
    await context.close();
    for (const [url, { fcp_ms: fcp }] of [...Object.entries(measured.cold), ...Object.entries(measured.warm)]) {
      assert.ok(Number.isFinite(fcp) && fcp > 0, `${url}: no contentful paint (${fcp})`);
    }
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'dashboard-first-paint.json'), JSON.stringify(measured, null, 2));
    console.log(`first contentful paint: ${JSON.stringify(measured)}`);
  });

  test('the journal tails a refused request with its reason and opens its headers', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await openPage('/_emu/requests', { width: 1100 });
    // The refusal made before the page loaded is rendered by the server...
    await page.locator('#emu-journal .emu-refusal', { hasText: 'invalid_client' }).first().waitFor();
    const rows = await page.locator('#emu-journal tbody tr').count();
    // ...and one made now arrives through the live tail.
    const refused = await refusedTokenRequest();
    assert.equal(refused.status, 401);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#emu-journal tbody tr').length > n, rows, { timeout: SEEN_TIMEOUT_MS },
    );
    const newest = page.locator('#emu-journal tbody tr').first();
    assert.match(await newest.textContent(), /invalid_client/);
    assert.match(await newest.textContent(), /401/);
    await newest.locator('a').click();
    const detail = page.locator('#emu-journal tr.emu-headers');
    await detail.waitFor();
    assert.match(await detail.textContent(), /content-type/);
    assert.doesNotMatch(await page.content(), /client_secret=wrong/);
    await screenshot(page, 'dashboard-journal');
    await readmeShot(page, 'readme-journal');
    await page.setViewportSize({ width: 420, height: 900 });
    await screenshot(page, 'dashboard-journal-narrow');
    // A filter narrows the server-rendered rows.
    await page.goto(`${emu.url}/_emu/requests?service=drive`);
    assert.doesNotMatch(await page.locator('#emu-journal tbody').textContent(), /invalid_client/);
    await context.close();
  });

  test('identity: the session, tokens, a revoke, a mint and a revealed secret', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await openPage('/_emu/identity', { width: 1100 });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: emu.url });
    const sessions = page.locator('section[aria-labelledby="sessions-title"] tbody');
    assert.match(await sessions.textContent(), /alice/);
    assert.match(await sessions.textContent(), /docs/);
    assert.doesNotMatch(await page.content(), new RegExp(SECRET), 'no secret before it is revealed');
    await screenshot(page, 'dashboard-identity');
    await readmeShot(page, 'readme-identity');

    // Revoke the login's token by clicking its row's button.
    const revoke = page.locator(`button[data-url$="/tokens/${sha256(loginToken)}/revoke"]`);
    await revoke.click();
    await revoke.waitFor({ state: 'detached' });
    assert.equal((await introspect(loginToken)).active, false);
    assert.equal((await introspect(upload.token)).active, true, 'the other tokens live on');

    // Mint for bob and drive in one click.
    await page.selectOption('#mint-user', 'bob');
    await page.selectOption('#mint-client', 'drive');
    await page.getByRole('button', { name: 'Mint and copy' }).click();
    const out = page.locator('#mint-out');
    await out.waitFor();
    const minted = (await out.textContent()).trim();
    const claims = await introspect(minted);
    assert.equal(claims.active, true);
    assert.equal(claims.username ?? claims.preferred_username, 'bob');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), minted);

    // Reveal a client's secret.
    await page.locator('button[data-reveal="secret-docs"]').click();
    await page.locator('#secret-docs', { hasText: SECRET }).waitFor();

    // A token's decoded claims and a user's claims editor load when their row opens them.
    const decoded = page.locator('#emu-tokens details[data-load="token"]').first();
    await decoded.locator('summary').click();
    await decoded.locator('pre', { hasText: '"iss"' }).waitFor();
    const bobClaims = page.locator('details[data-load="claims"][data-name="bob"]');
    await bobClaims.locator('summary').click();
    await bobClaims.getByLabel('Extra claims (JSON)').fill('{"siret": "42"}');
    await bobClaims.getByRole('button', { name: 'Save claims' }).click();
    await page.waitForFunction(() => document.getElementById('emu-toast')?.textContent === 'Done.', null,
      { timeout: SEEN_TIMEOUT_MS });
    const bobs = await json(`${emu.url}/_emu/tokens`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: 'docs', username: 'bob' }),
    });
    const payload = JSON.parse(Buffer.from(bobs.body.access_token.split('.')[1], 'base64url').toString());
    assert.equal(payload.siret, '42', JSON.stringify(payload));
    await context.close();
  });

  test('S3: the upload is browsed as folders, then deleted', { timeout: TEST_TIMEOUT_MS }, async () => {
    const key = `item/${upload.id}/notes.txt`;
    assert.equal(await s3Get(`/drive-media-storage/${key}`), 200);
    const { context, page } = await openPage('/_emu/s3?bucket=drive-media-storage');
    await page.getByRole('link', { name: /item\// }).click();
    await page.getByRole('link', { name: new RegExp(upload.id) }).click();
    const row = page.locator('#emu-objects tbody tr', { hasText: 'notes.txt' });
    await row.waitFor();
    await screenshot(page, 'dashboard-s3');
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/prefix=/);
    await page.locator('#emu-objects', { hasText: 'notes.txt' }).waitFor({ state: 'detached', timeout: SEEN_TIMEOUT_MS })
      .catch(() => {});
    await page.waitForFunction(() => !document.querySelector('#emu-objects')?.textContent.includes('notes.txt'),
      null, { timeout: SEEN_TIMEOUT_MS });
    assert.equal(await s3Get(`/drive-media-storage/${key}`), 404);
    // The key's versions page shows the delete marker.
    await page.goto(`${emu.url}/_emu/s3/object?bucket=drive-media-storage&key=${encodeURIComponent(key)}`);
    assert.match(await page.locator('main').textContent(), /delete marker/);
    await context.close();
  });

  test('Drive: the user tree and the item sharing', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await openPage('/_emu/drive');
    await page.getByRole('link', { name: 'alice@example.com' }).click();
    const row = page.locator('#emu-items tbody tr', { hasText: 'notes.txt' });
    await row.waitFor();
    assert.match(await row.textContent(), /ready/);
    assert.match(await row.textContent(), /text\/plain/);
    assert.ok(await row.getByRole('link', { name: 'Open' }).getAttribute('href'));
    await row.getByRole('link', { name: 'Sharing' }).click();
    assert.match(await page.locator('section[aria-labelledby="sharing-title"]').textContent(), /owner/);
    await screenshot(page, 'dashboard-drive');
    await context.close();
  });

  test('faults and reset: injected by clicking, seen by the next request', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await openPage('/_emu/control');
    await page.selectOption('#fault-service', 'oidc');
    await page.fill('#fault-path', '/realms/lasuite/protocol/openid-connect/token');
    await page.fill('#fault-error', 'invalid_grant');
    await page.getByRole('button', { name: 'Inject' }).click();
    await page.locator('#emu-faults tbody tr', { hasText: 'invalid_grant' }).waitFor();
    await screenshot(page, 'dashboard-control');
    const faulted = await json(`${emu.url}/realms/lasuite/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'docs', client_secret: SECRET }),
    });
    assert.equal(faulted.status, 400);
    assert.equal(faulted.body.error, 'invalid_grant');

    await page.getByRole('button', { name: 'Reset to the fixtures' }).click();
    await page.waitForFunction(() => document.getElementById('emu-toast')?.textContent === 'Done.', null,
      { timeout: SEEN_TIMEOUT_MS });
    assert.equal((await introspect(upload.token)).active, false, 'reset: tokens gone');
    const { body } = await json(`${emu.url}/_emu/api/overview`);
    assert.equal(body.counts.drive_items, 0);
    assert.equal(body.counts.objects, 0);
    await context.close();
  });
});

describe('the dashboard beyond loopback', { timeout: 2 * TEST_TIMEOUT_MS }, () => {
  let keyed;
  let keyedBrowser;
  const KEY = 'dashboard-test-key';

  before(async () => {
    const port = await freePort();
    keyed = await startEmulator({
      logName: 'dashboard-keyed',
      host: '0.0.0.0',
      port,
      extraArgs: ['--admin-key', KEY, '--public-url', `http://127.0.0.1:${port}`],
    });
    keyedBrowser = await launchBrowser();
  });

  after(async () => {
    await withDeadline(keyedBrowser?.close() ?? Promise.resolve(), 10_000, 'closing the browser').catch(() => {});
    await keyed?.stop();
  });

  test('asks for the admin key, keeps it in an HttpOnly cookie, then drives the control plane', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await newPage(keyedBrowser);
    page.on('dialog', (dialog) => dialog.accept());
    const base = `http://127.0.0.1:${new URL(keyed.url).port}`;
    const prompt = await page.goto(`${base}/_emu/control`);
    assert.equal(prompt.status(), 401);
    await page.getByLabel('Admin key').fill('not-the-key');
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not the admin key.' }).waitFor();
    await screenshot(page, 'dashboard-admin-key');
    await page.getByLabel('Admin key').fill(KEY);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByRole('button', { name: 'Forget the key' }).waitFor();
    const cookies = await context.cookies(`${base}/_emu/`);
    const cookie = cookies.find((c) => c.name === 'lasuite_emu_admin');
    assert.ok(cookie, JSON.stringify(cookies));
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.notEqual(cookie.value, KEY);
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read it');
    assert.doesNotMatch(await page.content(), new RegExp(KEY));

    await page.goto(`${base}/_emu/control`);
    await page.fill('#fault-path', '/nope-bucket');
    await page.fill('#fault-status', '503');
    await page.getByRole('button', { name: 'Inject' }).click();
    await page.locator('#emu-faults tbody tr', { hasText: '/nope-bucket' }).waitFor();
    const faults = await json(`${base}/_emu/faults`, { headers: { Authorization: `Bearer ${KEY}` } });
    assert.equal(faults.status, 200);
    assert.equal(faults.body.faults?.[0]?.path ?? faults.body[0]?.path, '/nope-bucket', JSON.stringify(faults.body));
    await context.close();
  });
});
