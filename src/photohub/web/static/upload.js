// The phone upload page: pick or take photos, one request per file, two at a time,
// progress and a clear error per file, and an instant switch when the host pauses.
import {
  ApiError, announce, api, connectLive, csrfToken, fallbackMessage, megabytes, parseResponse, say,
} from './common.js';

const MAX_PARALLEL = 2;
// Errors that sending the same file again cannot fix.
const FINAL_CODES = new Set(['too_large', 'not_image', 'unsupported', 'empty', 'too_many_pixels']);

const root = document.getElementById('upload');
const maxBytes = Number(root.dataset.maxBytes) || 0;
const form = document.getElementById('upload-form');
const list = document.getElementById('files');
const template = document.getElementById('file-item');
const pickFiles = document.getElementById('pick-files');
const takePhoto = document.getElementById('take-photo');
const nameInput = document.getElementById('guest-name');
const sendButton = document.getElementById('send');
const clearButton = document.getElementById('clear-done');
const actions = document.getElementById('upload-actions');
const statusLine = document.getElementById('upload-status');
const pausedPanel = document.getElementById('paused-panel');

let paused = root.dataset.paused === 'true';
let moderation = root.dataset.moderation === 'true';
let active = 0;
let nextKey = 1;
const items = new Map(); // key -> item, in the order picked
const early = new Map(); // photo id -> processing outcome that beat the upload's response

// ---- one file ----------------------------------------------------------------------

function isHeic(file) {
  return /heic|heif/i.test(file.type) || /\.(heic|heif)$/i.test(file.name);
}

function addFile(file) {
  const key = nextKey++;
  const fragment = template.content.cloneNode(true);
  const el = fragment.querySelector('.file-item');
  const item = {
    key,
    file,
    el,
    status: 'ready',
    xhr: null,
    photoId: null,
    thumb: el.querySelector('.file-thumb'),
    title: el.querySelector('.file-title'),
    progress: el.querySelector('.progress'),
    message: el.querySelector('.file-status'),
    retry: el.querySelector('.file-retry'),
    remove: el.querySelector('.file-remove'),
  };
  el.dataset.key = String(key);
  el.querySelector('.file-name').textContent = file.name || 'Photo';
  const titleId = `file-title-${key}`;
  item.title.id = titleId;
  item.retry.setAttribute('aria-label', `Retry ${file.name || 'photo'}`);
  item.remove.setAttribute('aria-label', `Remove ${file.name || 'photo'}`);
  item.retry.addEventListener('click', () => retry(item));
  item.remove.addEventListener('click', () => removeItem(item));
  preview(item);
  items.set(key, item);
  list.append(el);

  if (maxBytes && file.size > maxBytes) {
    fail(item, new ApiError(
      `This photo is too large (${megabytes(file.size)}). The limit is ${megabytes(maxBytes)} per photo.`,
      413, 'too_large'));
  } else if (file.size === 0) {
    fail(item, new ApiError('This file is empty (0 bytes).', 400, 'empty'));
  } else if (file.type && !file.type.startsWith('image/') && !isHeic(file)) {
    fail(item, new ApiError('This file is not a photo. Choose an image file.', 415, 'not_image'));
  } else {
    setStatus(item, 'ready', paused ? 'Waiting: uploads are paused.' : 'Ready to upload.');
  }
}

function preview(item) {
  const { file, thumb } = item;
  const placeholder = thumb.querySelector('.thumb-placeholder');
  if (isHeic(file) || (file.type && !file.type.startsWith('image/'))) {
    placeholder.textContent = isHeic(file) ? 'HEIC photo' : 'No preview';
    return;
  }
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.alt = '';
  img.decoding = 'async';
  const done = () => URL.revokeObjectURL(url);
  img.addEventListener('load', () => {
    done();
    placeholder.remove();
    thumb.append(img);
  }, { once: true });
  img.addEventListener('error', () => {
    done(); // some formats (HEIC on most browsers) cannot be previewed: keep the placeholder
  }, { once: true });
  img.src = url;
}

function setStatus(item, status, text, kind = '') {
  item.status = status;
  item.el.dataset.status = status;
  say(item.message, text, kind);
  const busy = status === 'queued' || status === 'sending';
  item.title.disabled = busy || status === 'done';
  item.retry.hidden = status !== 'error' || item.final;
  item.retry.disabled = paused;
  item.remove.textContent = status === 'done' ? 'Clear' : busy ? 'Cancel' : 'Remove';
  item.progress.hidden = !(status === 'sending' || status === 'done');
  refresh();
}

function fail(item, error) {
  item.final = FINAL_CODES.has(error.code);
  item.progress.value = 0;
  setStatus(item, 'error', error.message, 'error');
  if (error.code === 'uploads_paused') setPaused(true);
}

function succeed(item, photo) {
  item.photoId = photo && Number.isInteger(photo.id) ? photo.id : null;
  item.progress.value = 100;
  item.el.dataset.photoId = String(item.photoId ?? '');
  const outcome = item.photoId !== null ? early.get(item.photoId) : undefined;
  if (outcome) {
    early.delete(item.photoId);
    processed(item, outcome);
    return;
  }
  setStatus(item, 'done', moderation || photo?.approved === false
    ? 'Uploaded. It will appear on the wall once the host approves it.'
    : 'Uploaded. It will be on the wall in a moment.', 'ok');
}

function processed(item, outcome) {
  if (outcome.type === 'failed') {
    item.final = true;
    setStatus(item, 'error', outcome.message || 'This photo could not be processed.', 'error');
  } else if (outcome.approved === false) {
    setStatus(item, 'done', 'Uploaded. Waiting for the host’s approval.', 'ok');
  } else {
    setStatus(item, 'done', 'On the wall ✓', 'ok');
  }
}

function removeItem(item) {
  if (item.xhr) item.xhr.abort();
  items.delete(item.key);
  item.el.remove();
  refresh();
  pump();
}

function retry(item) {
  if (paused || item.final) return;
  item.progress.value = 0;
  setStatus(item, 'queued', 'Waiting to upload…');
  pump();
}

// ---- sending -------------------------------------------------------------------------

function pump() {
  if (paused) return;
  for (const item of items.values()) {
    if (active >= MAX_PARALLEL) break;
    if (item.status === 'queued') send(item);
  }
}

function send(item) {
  active += 1;
  const body = new FormData();
  body.append('photo', item.file, item.file.name || 'photo');
  body.append('title', item.title.value);
  body.append('name', nameInput.value);
  const xhr = new XMLHttpRequest();
  item.xhr = xhr;
  xhr.open('POST', '/api/photos');
  xhr.setRequestHeader('X-CSRF-Token', csrfToken);
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.upload.addEventListener('progress', (event) => {
    if (event.lengthComputable && event.total > 0) {
      // Keep a little back for the server's answer.
      item.progress.value = Math.min(95, Math.round((event.loaded / event.total) * 95));
    }
  });
  xhr.addEventListener('load', () => {
    try {
      const data = parseResponse(xhr.status, xhr.responseText);
      succeed(item, data.photo);
    } catch (error) {
      fail(item, error instanceof ApiError ? error : new ApiError(fallbackMessage(xhr.status)));
    }
  });
  xhr.addEventListener('error', () => {
    fail(item, new ApiError(
      'The upload was interrupted (network problem). Check your connection and tap Retry.',
      0, 'network'));
  });
  xhr.addEventListener('timeout', () => {
    fail(item, new ApiError('The upload took too long. Tap Retry.', 0, 'network'));
  });
  xhr.addEventListener('loadend', () => {
    item.xhr = null;
    active -= 1;
    pump();
  });
  item.progress.value = 0;
  setStatus(item, 'sending', 'Uploading…');
  xhr.send(body);
}

function refresh() {
  const all = [...items.values()];
  actions.hidden = all.length === 0;
  const ready = all.filter((i) => i.status === 'ready').length;
  const busy = all.filter((i) => i.status === 'queued' || i.status === 'sending').length;
  const done = all.filter((i) => i.status === 'done').length;
  const failed = all.filter((i) => i.status === 'error').length;
  sendButton.disabled = paused || ready === 0;
  sendButton.textContent = ready > 1 ? `Upload ${ready} photos` : 'Upload';
  clearButton.hidden = done === 0;
  let text = '';
  if (busy) text = `Uploading… ${done} of ${done + busy} done.`;
  else if (done && !failed) text = done === 1 ? 'Your photo is uploaded.' : `All ${done} photos are uploaded.`;
  else if (failed) {
    text = failed === 1 ? 'One photo could not be uploaded: see its message above.'
      : `${failed} photos could not be uploaded: see their messages above.`;
  }
  if (statusLine.textContent !== text) say(statusLine, text, failed && !busy ? 'error' : '');
}

// ---- paused / resumed ---------------------------------------------------------------

function setPaused(value) {
  if (value === paused && root.classList.contains('is-paused') === value) return;
  const changed = value !== paused;
  paused = value;
  root.classList.toggle('is-paused', paused);
  pausedPanel.hidden = !paused;
  pickFiles.disabled = paused;
  takePhoto.disabled = paused;
  for (const item of items.values()) {
    item.retry.disabled = paused;
    if (item.status === 'ready' || item.status === 'queued') {
      say(item.message, paused ? 'Waiting: uploads are paused.'
        : item.status === 'queued' ? 'Waiting to upload…' : 'Ready to upload.');
    }
  }
  refresh();
  if (changed) announce(paused ? 'Uploads are paused by the host.' : 'Uploads are open again.');
  if (!paused) pump();
  watchState();
}

// ---- wiring ---------------------------------------------------------------------------

function pick(input) {
  if (paused) return;
  for (const file of input.files) addFile(file);
  input.value = ''; // picking the same photo again still fires "change"
}

pickFiles.addEventListener('change', () => pick(pickFiles));
takePhoto.addEventListener('change', () => pick(takePhoto));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (paused) return;
  for (const item of items.values()) {
    if (item.status === 'ready') setStatus(item, 'queued', 'Waiting to upload…');
  }
  pump();
});

clearButton.addEventListener('click', () => {
  for (const item of [...items.values()]) {
    if (item.status === 'done') removeItem(item);
  }
});

let savedName = nameInput.value;
nameInput.addEventListener('change', async () => {
  const name = nameInput.value.trim();
  if (name === savedName) return;
  try {
    const data = await api('POST', '/api/me', { name });
    savedName = data.name;
    announce('Your name is saved.');
  } catch (error) {
    say(statusLine, error.message, 'error');
  }
});

function onProcessed(type) {
  return (data) => {
    if (!data || !Number.isInteger(data.id)) return;
    const outcome = { type, message: data.message, approved: data.approved };
    for (const item of items.values()) {
      if (item.photoId === data.id) {
        if (item.status === 'done' || item.status === 'error') processed(item, outcome);
        return;
      }
    }
    // The event beat the upload's own response: keep it for a moment.
    early.set(data.id, outcome);
    if (early.size > 50) early.delete(early.keys().next().value);
  };
}

async function start() {
  setPaused(paused);
  let delay = 1000;
  let snapshot = null;
  while (!snapshot) {
    try {
      snapshot = await api('GET', '/api/state');
    } catch {
      await new Promise((resolve) => { setTimeout(resolve, delay); });
      delay = Math.min(delay * 2, 15000);
    }
  }
  moderation = Boolean(snapshot.state.moderation);
  setPaused(Boolean(snapshot.state.uploads_paused));
  connectLive(snapshot.last_event_id, {
    'uploads.paused': () => setPaused(true),
    'uploads.resumed': () => setPaused(false),
    'settings.changed': (state) => {
      if (typeof state.moderation === 'boolean') moderation = state.moderation;
      if (typeof state.uploads_paused === 'boolean') setPaused(state.uploads_paused);
    },
    'photo.ready': onProcessed('ready'),
    'photo.failed': onProcessed('failed'),
  }, (connected) => {
    streamUp = connected;
    watchState();
  });
}

// While paused and the live stream is down (flaky Wi-Fi, a proxy that breaks streaming),
// ask the server now and then, so the page still opens again when the host resumes.
let streamUp = false;
let stateTimer = 0;
function watchState() {
  clearTimeout(stateTimer);
  if (streamUp || !paused) return;
  stateTimer = setTimeout(async () => {
    try {
      const data = await api('GET', '/api/state');
      setPaused(Boolean(data.state.uploads_paused));
    } catch {
      // still unreachable: try again
    }
    watchState();
  }, 5000);
}

start();
