// Shared helpers for the photohub pages: JSON calls, the live stream, small DOM tools.
// Plain ES module, no build step.

const meta = document.querySelector('meta[name="csrf-token"]');
export const csrfToken = meta ? meta.content : '';

/** An error with words meant for a person (never raw JSON). */
export class ApiError extends Error {
  constructor(message, status = 0, code = 'error') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const FALLBACK = {
  400: 'That did not work. Please check what you entered and try again.',
  403: 'You are not allowed to do that.',
  404: 'This no longer exists. It may have been deleted.',
  413: 'This file is too large.',
  415: 'This file is not a photo we can read.',
  429: 'Too many requests. Wait a moment and try again.',
  503: 'The service is busy or paused. Try again in a little while.',
};

/** A human message for an HTTP status when the server did not send one. */
export function fallbackMessage(status) {
  if (status === 0) return 'Could not reach the server. Check your connection and try again.';
  if (FALLBACK[status]) return FALLBACK[status];
  if (status >= 500) return 'Something went wrong on the server. Please try again.';
  return 'Something went wrong. Please try again.';
}

/** Turn a response body (text) and status into either the payload or an ApiError. */
export function parseResponse(status, text) {
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (status >= 200 && status < 300 && data && data.stat === 'ok') return data;
  const message = data && typeof data.message === 'string' && data.message
    ? data.message : fallbackMessage(status);
  const code = data && typeof data.code === 'string' ? data.code : `http_${status}`;
  throw new ApiError(message, status, code);
}

/** Call the JSON API. Mutating methods carry the CSRF token. */
export async function api(method, url, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(fallbackMessage(0), 0, 'network');
  }
  const text = await response.text().catch(() => '');
  return parseResponse(response.status, text);
}

/**
 * The live stream (Server-Sent Events), one per tab.
 *
 * `handlers` maps event types to functions receiving the parsed JSON data. The stream
 * starts after `lastEventId` (the id of the snapshot the page loaded) so nothing is
 * missed; EventSource resumes by itself with Last-Event-ID, and if the browser gives
 * up (CLOSED) we reconnect with backoff from the last id we saw.
 * `onStatus(connected: boolean)` reports the connection state.
 */
export function connectLive(lastEventId, handlers, onStatus = () => {}) {
  let lastId = Number(lastEventId) || 0;
  let source = null;
  let retryTimer = 0;
  let delay = 1000;
  let connected = null;

  const setStatus = (value) => {
    if (value === connected) return;
    connected = value;
    onStatus(value);
  };

  const listeners = {};
  for (const [type, handler] of Object.entries(handlers)) {
    listeners[type] = (event) => {
      if (event.lastEventId && /^\d+$/.test(event.lastEventId)) {
        lastId = Math.max(lastId, Number(event.lastEventId));
      }
      let data = {};
      try {
        data = event.data ? JSON.parse(event.data) : {};
      } catch {
        return; // not ours to show
      }
      try {
        handler(data, event);
      } catch (err) {
        console.error('live handler failed', type, err);
      }
    };
  }
  const onReady = (event) => {
    if (event.lastEventId && /^\d+$/.test(event.lastEventId)) {
      lastId = Math.max(lastId, Number(event.lastEventId));
    }
    delay = 1000;
    setStatus(true);
  };
  const onError = () => {
    setStatus(false);
    if (source && source.readyState === EventSource.CLOSED) {
      teardown();
      clearTimeout(retryTimer);
      retryTimer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 30000);
    }
  };

  function teardown() {
    if (!source) return;
    for (const [type, listener] of Object.entries(listeners)) {
      source.removeEventListener(type, listener);
    }
    source.removeEventListener('ready', onReady);
    source.removeEventListener('error', onError);
    source.close();
    source = null;
  }

  function open() {
    teardown();
    source = new EventSource(`/live?last_event_id=${lastId}`);
    for (const [type, listener] of Object.entries(listeners)) {
      source.addEventListener(type, listener);
    }
    source.addEventListener('ready', onReady);
    source.addEventListener('error', onError);
  }

  open();
  // A laptop waking from sleep: reconnect at once instead of waiting out the backoff.
  window.addEventListener('online', () => {
    if (!source || source.readyState === EventSource.CLOSED) {
      clearTimeout(retryTimer);
      delay = 1000;
      open();
    }
  });
  return {
    get lastId() { return lastId; },
    close() { clearTimeout(retryTimer); teardown(); },
  };
}

/**
 * The rendition to show on a screen whose long edge is `longEdge` device pixels:
 * the largest size not above 1.2x that edge, else the smallest one.
 */
export function pickRendition(sizes, longEdge) {
  if (!Array.isArray(sizes) || sizes.length === 0) return null;
  const sorted = [...sizes].sort((a, b) => a.size - b.size);
  const limit = longEdge * 1.2;
  let best = sorted[0];
  for (const item of sorted) {
    if (item.size <= limit) best = item;
  }
  return best;
}

/** The smallest rendition at least `min` pixels (thumbnails), else the largest. */
export function thumbnailOf(sizes, min = 256) {
  if (!Array.isArray(sizes) || sizes.length === 0) return null;
  const sorted = [...sizes].sort((a, b) => a.size - b.size);
  return sorted.find((item) => item.size >= min) || sorted[sorted.length - 1];
}

/** Ask "are you sure?" in a real modal dialog; resolves true when confirmed. */
export function confirmAction(text, okLabel = 'Delete') {
  const dialog = document.getElementById('confirm-dialog');
  if (!dialog || typeof dialog.showModal !== 'function') {
    return Promise.resolve(window.confirm(text));
  }
  document.getElementById('confirm-dialog-text').textContent = text;
  document.getElementById('confirm-dialog-ok').textContent = okLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

/** Say something to screen readers (the page's polite live region). */
export function announce(text) {
  const region = document.getElementById('live-status');
  if (!region) return;
  region.textContent = '';
  // A new text node after a tick makes repeated messages announced again.
  setTimeout(() => { region.textContent = text; }, 50);
}

/** Show a status message in an element (aria-live set in the template). */
export function say(element, text, kind = '') {
  if (!element) return;
  element.textContent = text;
  element.classList.toggle('is-error', kind === 'error');
  element.classList.toggle('is-ok', kind === 'ok');
}

/** "by Sam" or "by a guest". */
export function authorLabel(author) {
  const name = typeof author === 'string' ? author.trim() : '';
  return name ? `by ${name}` : 'by a guest';
}

/** A photo's human state for its owner (or, with `forHost`, for the host). */
export function stateLabel(photo, forHost = false) {
  if (photo.state === 'failed') return { text: 'Could not be processed', kind: 'error' };
  if (photo.state === 'processing') return { text: 'Processing…', kind: 'busy' };
  if (photo.approved === false) {
    return { text: forHost ? 'Waiting for your approval' : 'Waiting for the host’s approval', kind: 'wait' };
  }
  return { text: 'On the wall', kind: 'ok' };
}

/** Megabytes, for messages. */
export function megabytes(bytes) {
  const mb = bytes / (1024 * 1024);
  return mb >= 10 ? `${Math.round(mb)} MB` : `${Math.round(mb * 10) / 10} MB`;
}
