// The API Explorer: builds the request from the form, shows its exact URL, calls
// /services/rest/ as this page's user (CSRF token header, api_key=explorer) and shows
// the response highlighted, with a clear message when the call failed.
import { csrfToken, say } from './common.js';
import { highlight } from './highlight.js';

const form = document.getElementById('explorer-form');
const extraList = document.getElementById('extra-params');
const extraTemplate = document.getElementById('extra-param-row');
const urlField = document.getElementById('request-url');
const copyButton = document.getElementById('copy-url');
const copyStatus = document.getElementById('copy-status');
const callButton = document.getElementById('call');
const result = document.getElementById('result');
const outcome = document.getElementById('result-outcome');
const body = document.getElementById('response-body');

const methodName = form.dataset.method;
const httpMethod = form.dataset.httpMethod === 'POST' ? 'POST' : 'GET';
const restPath = form.dataset.restPath || '/services/rest/';

function chosenFormat() {
  const checked = form.querySelector('input[name="explorer-format"]:checked');
  return checked && checked.value === 'rest' ? 'rest' : 'json';
}

/** The call's parameters, in the order they are shown: method, arguments, extras, protocol. */
function buildParams() {
  const params = new URLSearchParams();
  params.set('method', methodName);
  for (const input of form.querySelectorAll('[data-arg]')) {
    if (input.value !== '') params.append(input.name, input.value);
  }
  for (const row of extraList.querySelectorAll('.extra-param')) {
    const name = row.querySelector('.extra-name').value.trim();
    if (name) params.append(name, row.querySelector('.extra-value').value);
  }
  // Protocol fields last, overriding any extra of the same name.
  params.set('method', methodName);
  const format = chosenFormat();
  params.set('format', format);
  if (format === 'json') {
    params.set('nojsoncallback', '1');
  } else {
    params.delete('nojsoncallback');
  }
  params.set('api_key', 'explorer');
  return params;
}

function requestUrl(params) {
  return `${window.location.origin}${restPath}?${params.toString()}`;
}

function refreshUrl() {
  urlField.value = requestUrl(buildParams());
}

function addExtraRow() {
  const row = extraTemplate.content.cloneNode(true).querySelector('.extra-param');
  row.querySelector('.extra-remove').addEventListener('click', () => {
    row.remove();
    refreshUrl();
  });
  extraList.append(row);
  return row;
}

async function copyUrl() {
  refreshUrl();
  try {
    await navigator.clipboard.writeText(urlField.value);
    say(copyStatus, 'Copied the request URL.', 'ok');
  } catch {
    // Plain http on a LAN address has no clipboard API: select it for Ctrl+C.
    urlField.focus();
    urlField.select();
    say(copyStatus, 'Selected: press Ctrl+C (or ⌘C) to copy.');
  }
}

/** `{ok, code, message}` read from a response body in the format asked for. */
function outcomeOf(text, format) {
  if (format === 'json') {
    try {
      const data = JSON.parse(text);
      if (data && data.stat === 'ok') return { ok: true };
      if (data && data.stat === 'fail') return { ok: false, code: data.code, message: data.message };
    } catch {
      // fall through
    }
    return { ok: false, code: null, message: 'The response is not the JSON expected.' };
  }
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const rsp = doc.documentElement;
  if (!rsp || doc.getElementsByTagName('parsererror').length || rsp.nodeName !== 'rsp') {
    return { ok: false, code: null, message: 'The response is not the XML expected.' };
  }
  if (rsp.getAttribute('stat') === 'ok') return { ok: true };
  const err = rsp.getElementsByTagName('err')[0];
  return {
    ok: false,
    code: err ? err.getAttribute('code') : null,
    message: err ? err.getAttribute('msg') : 'The call failed.',
  };
}

function showOutcome(status, elapsed, found) {
  outcome.replaceChildren();
  const badge = document.createElement('span');
  badge.className = `badge ${found.ok ? 'badge-ok' : 'badge-error'}`;
  badge.textContent = found.ok ? 'stat: ok' : 'stat: fail';
  const words = document.createElement('span');
  if (found.ok) {
    words.textContent = ` HTTP ${status}, ${elapsed} ms`;
  } else {
    const code = found.code !== null && found.code !== undefined ? `Error ${found.code}: ` : '';
    words.textContent = ` ${code}${found.message || 'The call failed.'} (HTTP ${status}, ${elapsed} ms)`;
  }
  outcome.append(badge, words);
  outcome.classList.toggle('is-error', !found.ok);
  outcome.classList.toggle('is-ok', found.ok);
  outcome.dataset.stat = found.ok ? 'ok' : 'fail';
}

async function call() {
  const params = buildParams();
  const format = params.get('format');
  urlField.value = requestUrl(params);
  const init = {
    method: httpMethod,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { 'X-CSRF-Token': csrfToken },
  };
  let url = urlField.value;
  if (httpMethod === 'POST') {
    url = restPath;
    init.body = params;
  }
  callButton.disabled = true;
  callButton.textContent = 'Calling…';
  result.hidden = false;
  result.setAttribute('aria-busy', 'true');
  const started = performance.now();
  try {
    let response;
    try {
      response = await fetch(url, init);
    } catch {
      outcome.replaceChildren('Could not reach the server. Check your connection and try again.');
      outcome.classList.add('is-error');
      outcome.dataset.stat = 'network';
      body.replaceChildren();
      return;
    }
    const text = await response.text();
    const elapsed = Math.round(performance.now() - started);
    showOutcome(response.status, elapsed, outcomeOf(text, format));
    highlight(body, text, format === 'rest' ? 'xml' : 'json');
    body.dataset.format = format;
  } finally {
    result.removeAttribute('aria-busy');
    callButton.disabled = false;
    callButton.textContent = 'Call';
  }
}

const startRows = Number(extraList.dataset.startRows) || 0;
for (let i = 0; i < startRows; i += 1) addExtraRow();
document.getElementById('add-param').addEventListener('click', () => {
  addExtraRow().querySelector('.extra-name').focus();
  refreshUrl();
});
form.addEventListener('input', refreshUrl);
form.addEventListener('change', refreshUrl);
form.addEventListener('submit', (event) => {
  event.preventDefault();
  call();
});
copyButton.addEventListener('click', copyUrl);
refreshUrl();
