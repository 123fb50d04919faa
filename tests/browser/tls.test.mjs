// `serve --tls` in a real browser: headless Debian Chromium trusts the emulator's CA through an
// NSS database (what `lasuite-emu ca --install` writes for the current user; here in a
// throwaway HOME), never --ignore-certificate-errors. It loads the login page over https and
// completes a login (over HTTP/2, negotiated by ALPN); a Chromium whose NSS database lacks the CA refuses the page.
//
// Run: tests/browser/run.sh tls.test.mjs   (needs certutil: Debian's libnss3-tools)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import {
  EMU_BIN, SECRET, REDIRECT_URI, STATE, NONCE, startEmulator, startCallbackServer, launchBrowser, newPage, authUrl,
  tokenUrl, waitForCallback, jwtPayload, screenshot, describePage, withDeadline,
} from './emu.mjs';

const TEST_TIMEOUT_MS = 60_000;

let emu;
let rp;
let browser;
let home;

/** POST a form over https trusting only `ca` (Node's fetch cannot be given a CA). */
function postForm(url, form, ca) {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const req = https.request(url, {
      method: 'POST', ca, timeout: 10_000,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve --tls in a real browser (headless Chromium, CA in an NSS database)', () => {
  before(async () => {
    emu = await startEmulator({ extraArgs: ['--tls'], logName: 'emulator-tls' });
    assert.ok(emu.url.startsWith('https://'), emu.url);
    assert.ok(emu.ca && fs.existsSync(emu.ca), `ready file names no CA: ${emu.ca}`);
    // `lasuite-emu ca --install` for a throwaway user: HOME/.pki/nssdb, Chromium's database.
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lasuite-emu-nss-'));
    const dataDir = path.dirname(path.dirname(emu.ca));
    const out = execFileSync(EMU_BIN, ['ca', '--install', '--data', dataDir], {
      env: { ...process.env, HOME: home }, encoding: 'utf8',
    });
    assert.match(out, /added .* to the NSS database sql:.*\.pki\/nssdb as "lasuite-emu"/, out);
    rp = await startCallbackServer();
    browser = await launchBrowser(rp.port, { env: { ...process.env, HOME: home } });
  });

  after(async () => {
    if (browser) {
      await withDeadline(browser.close(), 15_000, 'browser.close()').catch((e) => console.error(e.message));
    }
    if (rp) await rp.close();
    if (emu) await emu.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  test('the login page loads over https and a login completes', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await newPage(browser);
    try {
      const url = authUrl(emu, { realm: 'lasuite', client: 'drive' });
      const resp = await page.goto(url);
      assert.equal(resp.status(), 200, `GET ${url}: ${await describePage(page)}`);
      const security = await resp.securityDetails();
      assert.ok(security, 'no TLS details: not served over https');
      assert.match(security.issuer, /^lasuite-emu local CA [0-9a-f]{8}$/, JSON.stringify(security));
      await page.getByText('Sign in to your account').first().waitFor({ state: 'visible' });
      // ALPN: the browser takes HTTP/2, as it would from nginx in front of Keycloak.
      const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
      assert.equal(protocol, 'h2', 'the login page came over HTTP/2');
      await screenshot(page, 'login-page-tls');
      await page.getByRole('textbox', { name: 'username' }).fill('drive');
      await page.getByRole('textbox', { name: 'password' }).fill('drive');
      await page.getByRole('button', { name: 'Sign in' }).first().click();
      const params = await waitForCallback(page);
      assert.equal(params.get('state'), STATE, page.url());
      const code = params.get('code');
      assert.ok(code, `no code: ${page.url()}`);
      const ca = fs.readFileSync(emu.ca);
      const { status, body } = await postForm(tokenUrl(emu, 'lasuite'), {
        grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: 'drive', client_secret: SECRET,
      }, ca);
      assert.equal(status, 200, JSON.stringify(body));
      const claims = jwtPayload(body.id_token);
      assert.equal(claims.iss, `${emu.url}/realms/lasuite`);
      assert.equal(claims.preferred_username, 'drive');
      assert.equal(claims.nonce, NONCE);
    } finally {
      await context.close();
    }
  });

  test('a Chromium without the CA refuses the page', { timeout: TEST_TIMEOUT_MS }, async () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'lasuite-emu-nss-bare-'));
    const untrusting = await launchBrowser(undefined, { env: { ...process.env, HOME: bare } });
    try {
      const page = await untrusting.newPage();
      await assert.rejects(page.goto(`${emu.url}/_emu/health`, { timeout: 15_000 }), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await withDeadline(untrusting.close(), 15_000, 'browser.close()').catch((e) => console.error(e.message));
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });
});
