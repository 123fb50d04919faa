// Real-browser tests of the emulator's login page: headless Debian Chromium driven by
// playwright-core runs, unchanged, the sign-in sequences of the upstream La Suite e2e suites
// (Drive's and Docs' `keyCloakSignIn`), the one-click user picker, and silent SSO
// (prompt=none). Each flow starts at the authorization URL and ends at the redirect_uri
// (no relying party listens: a page.route and, for the 302 redirects Playwright cannot route, a
// stand-in server that Chromium reaches for localhost:8071, answer it), and the code is then
// redeemed server-side at the token endpoint.
//
// Run: tests/browser/run.sh   (or `npm ci && node --test` in this folder)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startEmulator, startCallbackServer, launchBrowser, newPage, authUrl, waitForCallback, exchangeCode, jwtPayload,
  screenshot, describePage, withDeadline, isCallback, STATE, NONCE,
} from './emu.mjs';

const TEST_TIMEOUT_MS = 60_000;
const VISIBLE_TIMEOUT_MS = 10_000;

let emu;
let rp;
let browser;

/** Assert the callback carries a code and our state, redeem it, check the ID token's user. */
async function redeemAndCheck(page, { realm, client, username }) {
  const params = await waitForCallback(page);
  assert.equal(params.get('error'), null, `callback carries an error: ${page.url()}`);
  const code = params.get('code');
  assert.ok(code, `no code on the callback: ${page.url()}`);
  assert.equal(params.get('state'), STATE, `state not echoed: ${page.url()}`);
  assert.ok(
    await page.getByRole('heading', { name: 'callback' }).isVisible(),
    `the routed callback page is not shown: ${await describePage(page)}`,
  );

  const { status, body } = await exchangeCode(emu, { realm, client, code });
  assert.equal(status, 200, `token endpoint (realm ${realm}, client ${client}) answered ${status}: ${JSON.stringify(body)}`);
  assert.ok(body.id_token, `no id_token in ${JSON.stringify(body)}`);
  const claims = jwtPayload(body.id_token);
  assert.equal(claims.preferred_username, username, `id_token claims: ${JSON.stringify(claims)}`);
  assert.equal(claims.nonce, NONCE, `id_token claims: ${JSON.stringify(claims)}`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  assert.ok(aud.includes(client), `id_token aud ${JSON.stringify(claims.aud)} lacks ${client}`);
  return { code, tokens: body, claims };
}

/** Open the authorization URL and check the emulator answered with its login page. */
async function openLogin(page, realm, client) {
  const url = authUrl(emu, { realm, client });
  const resp = await page.goto(url);
  assert.ok(resp, `no response for ${url}`);
  assert.equal(resp.status(), 200, `GET ${url} -> ${resp.status()}: ${await describePage(page)}`);
  assert.ok(page.url().startsWith(emu.url), `not on the emulator: ${page.url()}`);
  return resp;
}

// --- Drive's keyCloakSignIn (suitenumerique/drive e2e utils-common.ts, fromHome=false) ---------
async function driveSignIn(page, username, password) {
  await page.getByText('Sign in to your account').first().waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT_MS });
  if (await page.getByLabel('Restart login').isVisible()) {
    await page.getByLabel('Restart login').click();
  }
  await page.getByRole('textbox', { name: 'username' }).fill(username);
  await page.getByRole('textbox', { name: 'password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).first().click();
}

// --- Docs' keyCloakSignIn (suitenumerique/docs e2e, fromHome=false, browserName=chromium) -----
async function docsSignIn(page, browserName) {
  await page
    .locator('.login-pf #kc-header-wrapper')
    .getByText('impress')
    .waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT_MS });
  if (await page.getByLabel('Restart login').isVisible()) {
    await page.getByLabel('Restart login').click();
  }
  await page.getByRole('textbox', { name: 'username' }).fill(`user-e2e-${browserName}`);
  await page.getByRole('textbox', { name: 'password' }).fill(`password-e2e-${browserName}`);
  await page.click('button[type="submit"]', { force: true });
}

describe('login page in a real browser (headless Chromium)', () => {
  before(async () => {
    emu = await startEmulator();
    rp = await startCallbackServer();
    browser = await launchBrowser(rp.port);
  });

  after(async () => {
    if (browser) {
      await withDeadline(browser.close(), 15_000, 'browser.close()').catch((e) => console.error(e.message));
    }
    if (rp) await rp.close();
    if (emu) await emu.stop();
  });

  test("Drive's sign-in sequence (realm lasuite, client drive)", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await newPage(browser);
    try {
      await openLogin(page, 'lasuite', 'drive');
      await page.getByText('Sign in to your account').first().waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT_MS });
      await screenshot(page, 'login-page');
      await driveSignIn(page, 'drive', 'drive');
      await redeemAndCheck(page, { realm: 'lasuite', client: 'drive', username: 'drive' });
    } finally {
      await context.close();
    }
  });

  test("Docs' sign-in sequence (realm alias impress, client impress)", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await newPage(browser);
    try {
      await openLogin(page, 'impress', 'impress');
      await page.locator('.login-pf #kc-header-wrapper').getByText('impress').waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT_MS });
      await screenshot(page, 'login-page-impress');
      await docsSignIn(page, 'chromium');
      await redeemAndCheck(page, { realm: 'impress', client: 'impress', username: 'user-e2e-chromium' });
    } finally {
      await context.close();
    }
  });

  test('wrong password shows #input-error, then the right one logs in', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await newPage(browser);
    try {
      await openLogin(page, 'lasuite', 'drive');
      await driveSignIn(page, 'drive', 'not-the-password');
      const error = page.locator('#input-error');
      try {
        await error.waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT_MS });
      } catch (e) {
        assert.fail(`#input-error not shown after a wrong password (${e.message}): ${await describePage(page)}`);
      }
      assert.ok(!isCallback(page.url()), `a wrong password reached the callback: ${page.url()}`);
      assert.ok(page.url().startsWith(emu.url), `not on the emulator after a wrong password: ${page.url()}`);
      assert.ok((await error.innerText()).trim().length > 0, '#input-error is empty');
      await screenshot(page, 'wrong-password');

      // The same upstream sequence then succeeds from the error page.
      await driveSignIn(page, 'drive', 'drive');
      await redeemAndCheck(page, { realm: 'lasuite', client: 'drive', username: 'drive' });
    } finally {
      await context.close();
    }
  });

  test('one-click user picker: Bob', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await newPage(browser);
    try {
      await openLogin(page, 'lasuite', 'docs');
      const picker = page.locator('#emu-user-picker');
      await picker.waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT_MS });
      const bob = picker.getByRole('button', { name: 'Bob Martin' });
      assert.equal(await bob.count(), 1, `expected one picker button for Bob Martin: ${await describePage(page)}`);
      assert.equal(await picker.locator('button[name="pick"][value="bob"]').count(), 1, 'no <button name="pick" value="bob">');
      await bob.click();
      await redeemAndCheck(page, { realm: 'lasuite', client: 'docs', username: 'bob' });
    } finally {
      await context.close();
    }
  });

  test('silent SSO: prompt=none after a login gives a code; a fresh context gets login_required', { timeout: TEST_TIMEOUT_MS }, async () => {
    // 1. Log in (Drive's sequence) in context A.
    const a = await newPage(browser);
    try {
      await openLogin(a.page, 'lasuite', 'drive');
      await driveSignIn(a.page, 'alice', 'alice');
      const first = await redeemAndCheck(a.page, { realm: 'lasuite', client: 'drive', username: 'alice' });

      // 2. Same context, a second client, prompt=none: straight back with a code.
      const committed = [];
      const onNav = (frame) => { if (frame === a.page.mainFrame()) committed.push(frame.url()); };
      a.page.on('framenavigated', onNav);
      const silentUrl = authUrl(emu, { realm: 'lasuite', client: 'docs', prompt: 'none' });
      const resp = await a.page.goto(silentUrl);
      a.page.off('framenavigated', onNav);
      assert.ok(isCallback(a.page.url()), `prompt=none with a session did not land on the callback: ${await describePage(a.page)}`);
      const onEmu = committed.filter((u) => u.startsWith(emu.url));
      assert.deepEqual(onEmu, [], `a page of the emulator was shown during silent SSO: ${JSON.stringify(committed)}`);
      const hop = resp && resp.request().redirectedFrom();
      assert.ok(hop, 'the silent authorization request was not a redirect');
      assert.ok(hop.url().startsWith(`${emu.url}/realms/lasuite/protocol/openid-connect/auth`), `first hop: ${hop.url()}`);
      const hopResp = await hop.response();
      assert.ok(hopResp && hopResp.status() >= 300 && hopResp.status() < 400, `auth endpoint answered ${hopResp && hopResp.status()}`);
      const second = await redeemAndCheck(a.page, { realm: 'lasuite', client: 'docs', username: 'alice' });
      assert.equal(second.claims.sub, first.claims.sub, 'silent SSO logged in a different subject');
    } finally {
      await a.context.close();
    }

    // 3. A fresh context (no SSO cookie): error=login_required, state echoed, no code.
    const b = await newPage(browser);
    try {
      await b.page.goto(authUrl(emu, { realm: 'lasuite', client: 'docs', prompt: 'none' }));
      assert.ok(isCallback(b.page.url()), `prompt=none without a session did not redirect to the callback: ${await describePage(b.page)}`);
      const params = new URL(b.page.url()).searchParams;
      assert.equal(params.get('error'), 'login_required', `callback: ${b.page.url()}`);
      assert.equal(params.get('state'), STATE, `callback: ${b.page.url()}`);
      assert.equal(params.get('code'), null, `callback carries a code: ${b.page.url()}`);
    } finally {
      await b.context.close();
    }
  });
});
