// lasuite-emu dashboard: enhances the server-rendered pages. Every call to the control plane
// carries X-Emu-Dashboard (the CSRF header the admin-key guard asks of cookie-authenticated
// changes) and goes to the same origin; nothing here ever sees the admin key.

const HEADER = { 'X-Emu-Dashboard': '1' };
const toast = document.getElementById('emu-toast');

function say(text) {
  if (!toast) return;
  toast.textContent = text;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { toast.textContent = ''; }, 4000);
}

async function call(method, url, body, contentType = 'application/json') {
  const init = { method, headers: { ...HEADER }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.body = contentType === 'application/json' ? JSON.stringify(body) : body;
    init.headers['Content-Type'] = contentType;
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const why = json && (json.error_description || json.error) || `${response.status}`;
    throw new Error(`${response.status}: ${why}`);
  }
  return json;
}

const reloadSoon = () => setTimeout(() => location.reload(), 400);

async function copyText(text, fallbackElement) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallbackElement) {
      const range = document.createRange();
      range.selectNodeContents(fallbackElement);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { return document.execCommand('copy'); } catch { return false; }
    }
    return false;
  }
}

// Buttons that call the control plane: data-method, data-url, and optionally data-body (JSON),
// data-confirm, data-reveal (put the answer's secret into that element), data-claims (a
// textarea whose JSON is sent as {"claims"}), data-revoke (remove the row after).
function wire(button) {
  button.disabled = false;
  button.addEventListener('click', async () => {
    const { method, url } = button.dataset;
    if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
    let body;
    try {
      if (button.dataset.claims) {
        const area = document.getElementById(button.dataset.claims);
        body = { claims: JSON.parse(area.value || '{}') };
      } else if (button.dataset.body) {
        body = JSON.parse(button.dataset.body);
      }
    } catch (error) {
      say(`Not JSON: ${error.message}`);
      return;
    }
    button.disabled = true;
    try {
      const answer = await call(method, url, body);
      if (button.dataset.reveal) {
        const target = document.getElementById(button.dataset.reveal);
        target.textContent = answer.secret;
        button.remove();
        return;
      }
      if (button.dataset.revoke !== undefined) {
        button.closest('tr')?.remove();
        say('Token revoked.');
        return;
      }
      say('Done.');
      reloadSoon();
    } catch (error) {
      say(error.message);
      button.disabled = false;
    }
  });
}
for (const button of document.querySelectorAll('button[data-method]')) wire(button);

// Content loaded when its <details> is first opened (data-load, data-url, data-name): the
// identity page would otherwise render every user's claims editor and every token's claims
// up front. Without this script the <details> holds a link to the same JSON.
const element = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const renderers = {
  // The user's extra claims in an editor, with the button that saves them.
  claims(answer, { url, name }) {
    const id = `claims-${name}`;
    const area = element('textarea', { id, className: 'pf-c-form-control emu-code', rows: 3 });
    area.value = JSON.stringify(answer.claims ?? {});
    const save = element('button', { type: 'button', className: 'emu-btn' }, 'Save claims');
    Object.assign(save.dataset, { method: 'PATCH', url, claims: id });
    wire(save);
    return [element('label', { htmlFor: id }, 'Extra claims (JSON)'), area, save];
  },
  // The token's JWT header and claims, and its id.
  token(answer) {
    const pre = (value) => element('pre', { className: 'emu-pre', tabIndex: 0 }, JSON.stringify(value, null, 2));
    return [
      element('p', { className: 'emu-muted' }, 'header'), pre(answer.header),
      element('p', { className: 'emu-muted' }, 'claims'), pre(answer.claims),
      element('p', { className: 'emu-muted' }, 'id (SHA-256 of the token)'),
      element('code', { className: 'emu-wrap' }, answer.id),
    ];
  },
};
for (const details of document.querySelectorAll('details[data-load]')) {
  const render = renderers[details.dataset.load];
  if (!render) continue;
  details.addEventListener('toggle', async () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = 'loading';
    details.setAttribute('aria-busy', 'true');
    try {
      const answer = await call('GET', details.dataset.url);
      const summary = details.querySelector('summary');
      details.replaceChildren(summary, ...render(answer, details.dataset));
      details.dataset.loaded = 'yes';
    } catch (error) {
      delete details.dataset.loaded;
      say(error.message);
    } finally {
      details.removeAttribute('aria-busy');
    }
  });
}

// Forms posting JSON: data-api="METHOD URL"; empty fields are left out, data-type="number"
// fields are sent as numbers.
for (const form of document.querySelectorAll('form[data-api]')) {
  const submit = form.querySelector('button[type=submit]');
  if (submit) submit.disabled = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const [method, url] = form.dataset.api.split(' ');
    const body = {};
    for (const field of form.elements) {
      if (!field.name || field.value === '') continue;
      body[field.name] = field.dataset.type === 'number' ? Number(field.value) : field.value;
    }
    try {
      await call(method, url, body);
      say('Done.');
      reloadSoon();
    } catch (error) {
      say(error.message);
    }
  });
}

// Uploads: the chosen file goes to data-upload?key=<data-prefix><file name>.
for (const form of document.querySelectorAll('form[data-upload], form[data-restore]')) {
  const submit = form.querySelector('button[type=submit]');
  if (submit) submit.disabled = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = form.querySelector('input[type=file]').files[0];
    if (!file) return;
    try {
      if (form.dataset.upload) {
        const key = (form.dataset.prefix || '') + file.name;
        await call('PUT', `${form.dataset.upload}?key=${encodeURIComponent(key)}`, file,
          file.type || 'application/octet-stream');
      } else {
        await call('POST', form.dataset.restore, file, 'application/vnd.sqlite3');
      }
      say('Done.');
      reloadSoon();
    } catch (error) {
      say(error.message);
    }
  });
}

// Mint a token for the chosen user and client, show it and copy it.
const mint = document.getElementById('emu-mint');
if (mint) {
  mint.querySelector('button[type=submit]').disabled = false;
  mint.addEventListener('submit', async (event) => {
    event.preventDefault();
    const out = document.getElementById('mint-out');
    try {
      const answer = await call('POST', '/_emu/tokens', {
        realm: mint.dataset.realm,
        username: mint.elements.username.value,
        client_id: mint.elements.client_id.value,
      });
      out.hidden = false;
      out.textContent = answer.access_token;
      const copied = await copyText(answer.access_token, out);
      say(copied ? 'Access token copied to the clipboard.' : 'Access token minted (select it to copy).');
    } catch (error) {
      say(error.message);
    }
  });
}

// Copy buttons: data-copy names the element whose text is copied.
for (const button of document.querySelectorAll('button[data-copy]')) {
  button.disabled = false;
  button.addEventListener('click', async () => {
    const element = document.getElementById(button.dataset.copy);
    say(await copyText(element.textContent, element) ? 'Copied.' : 'Select the text to copy it.');
  });
}

// Expiry countdowns, on the emulator's clock (the server's `now` at render time).
const countdowns = [...document.querySelectorAll('[data-countdown]')];
if (countdowns.length) {
  const loaded = Date.now() / 1000;
  const tick = () => {
    const elapsed = Date.now() / 1000 - loaded;
    for (const element of countdowns) {
      const left = Math.round(Number(element.dataset.countdown) - Number(element.dataset.now) - elapsed);
      element.textContent = left > 0 ? `${left} s` : 'expired';
    }
  };
  tick();
  setInterval(tick, 1000);
}

// The journal: live tail by polling /_emu/journal?since=ID with the page's filters; a row
// opens its request and response headers.
const journal = document.getElementById('emu-journal');
if (journal) {
  const body = journal.tBodies[0];
  const live = document.getElementById('emu-live');
  const filter = document.getElementById('emu-journal-filter');
  let since = Number(journal.dataset.since || 0);
  const cell = (text, className) => {
    const td = document.createElement('td');
    td.textContent = text ?? '';
    if (className) td.className = className;
    return td;
  };
  const statusClass = (s) => (s >= 500 ? 'emu-s5' : s >= 400 ? 'emu-s4' : s >= 300 ? 'emu-s3' : 'emu-s2');
  const row = (e) => {
    const tr = document.createElement('tr');
    tr.dataset.id = e.id;
    tr.className = 'emu-new';
    const idCell = document.createElement('td');
    const link = document.createElement('a');
    link.href = `/_emu/requests?entry=${e.id}`;
    link.dataset.entry = e.id;
    link.textContent = e.id;
    idCell.append(link);
    const at = new Date(e.at * 1000).toISOString().replace('.000', '');
    const reason = cell('');
    if (e.reason) {
      const span = document.createElement('span');
      span.className = 'emu-refusal';
      span.textContent = e.reason;
      reason.append(span);
    }
    tr.append(idCell, cell(at), cell(e.service), cell(e.method), cell(e.path, 'emu-path'),
      cell(String(e.status), statusClass(e.status)), cell(e.duration_ms.toFixed(1)), cell(e.user),
      cell(e.client), reason);
    return tr;
  };
  const poll = async () => {
    const params = new URLSearchParams({ since: String(since) });
    for (const name of ['service', 'status', 'user']) {
      const value = filter?.elements[name]?.value;
      if (value) params.set(name, value);
    }
    try {
      const answer = await call('GET', `/_emu/journal?${params}`);
      for (const entry of answer.entries) {
        body.prepend(row(entry));
        since = Math.max(since, entry.id);
      }
      while (body.rows.length > 100) body.deleteRow(-1);
      if (live) live.textContent = `live · ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (live) live.textContent = `paused: ${error.message}`;
    }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);

  const headerTable = (title, pairs) => {
    const box = document.createElement('div');
    const h = document.createElement('h3');
    h.textContent = title;
    const table = document.createElement('table');
    for (const [name, value] of pairs) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = name;
      tr.append(th, cell(value));
      table.append(tr);
    }
    box.append(h, table);
    return box;
  };
  journal.addEventListener('click', async (event) => {
    const tr = event.target.closest('tbody tr[data-id]');
    if (!tr) return;
    event.preventDefault();
    const open = tr.nextElementSibling;
    if (open?.classList.contains('emu-headers')) {
      open.remove();
      tr.classList.remove('emu-open');
      return;
    }
    try {
      const entry = await call('GET', `/_emu/journal/${tr.dataset.id}`);
      const detail = document.createElement('tr');
      detail.className = 'emu-headers';
      const td = document.createElement('td');
      td.colSpan = 10;
      const grid = document.createElement('div');
      grid.className = 'emu-two';
      grid.append(headerTable('Request headers', entry.request_headers),
        headerTable(`Response headers (${entry.status})`, entry.response_headers));
      td.append(grid);
      detail.append(td);
      tr.after(detail);
      tr.classList.add('emu-open');
    } catch (error) {
      say(error.message);
    }
  });
}
