// Host controls: pause/resume uploads, moderation, wall pacing, and every photo.
import {
  announce, api, authorLabel, confirmAction, connectLive, say, stateLabel, thumbnailOf,
} from './common.js';

const MAX_CARDS = 500;

const statusEl = document.getElementById('admin-status');
const uploadsState = document.getElementById('uploads-state');
const uploadsButton = document.getElementById('toggle-uploads');
const moderationState = document.getElementById('moderation-state');
const moderationButton = document.getElementById('toggle-moderation');
const wallForm = document.getElementById('wall-form');
const intervalInput = document.getElementById('wall-interval');
const transitionSelect = document.getElementById('wall-transition');
const list = document.getElementById('admin-photos');
const template = document.getElementById('admin-item');
const emptyEl = document.getElementById('admin-empty');
const countEl = document.getElementById('photo-count');

const state = {
  uploads_paused: uploadsButton.dataset.paused === 'true',
  moderation: moderationButton.dataset.moderation === 'true',
};
const cards = new Map(); // id -> card
let loaded = false;
// Wall-form fields the host changed and has not saved yet: a state arriving meanwhile (the
// page's first load, another host tab) must not put the old value back under them.
const edited = new Set();
for (const field of [intervalInput, transitionSelect]) {
  field.addEventListener('input', () => edited.add(field));
  field.addEventListener('change', () => edited.add(field));
}

// ---- host state -------------------------------------------------------------------------

function applyState(next) {
  if (!next) return;
  if (typeof next.uploads_paused === 'boolean') {
    state.uploads_paused = next.uploads_paused;
    const paused = next.uploads_paused;
    uploadsState.textContent = paused ? 'Uploads are paused' : 'Uploads are open';
    uploadsState.classList.toggle('is-warn', paused);
    uploadsButton.textContent = paused ? 'Resume uploads' : 'Pause uploads';
    uploadsButton.dataset.paused = String(paused);
    uploadsButton.classList.toggle('primary', paused);
    uploadsButton.classList.toggle('danger', !paused);
  }
  if (typeof next.moderation === 'boolean') {
    state.moderation = next.moderation;
    moderationState.textContent = next.moderation ? 'Moderation is on' : 'Moderation is off';
    moderationButton.textContent = next.moderation ? 'Turn moderation off' : 'Turn moderation on';
    moderationButton.dataset.moderation = String(next.moderation);
  }
  // Do not overwrite the wall form while the host is editing it.
  if (Number.isInteger(next.wall_interval) && !edited.has(intervalInput)
      && document.activeElement !== intervalInput) {
    intervalInput.value = String(next.wall_interval);
  }
  if (next.wall_transition && !edited.has(transitionSelect)
      && document.activeElement !== transitionSelect) {
    transitionSelect.value = next.wall_transition;
  }
}

async function change(url, body, button, done) {
  button.disabled = true;
  try {
    const data = await api('POST', url, body);
    applyState(data.state);
    say(statusEl, done(data.state), 'ok');
  } catch (error) {
    say(statusEl, error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

uploadsButton.addEventListener('click', () => {
  change('/api/admin/uploads', { paused: !state.uploads_paused }, uploadsButton,
    (s) => (s.uploads_paused ? 'Uploads are paused. Guests see a message at once.'
      : 'Uploads are open again.'));
});

moderationButton.addEventListener('click', () => {
  change('/api/admin/settings', { moderation: !state.moderation }, moderationButton,
    (s) => (s.moderation ? 'Moderation is on: new photos wait for your approval.'
      : 'Moderation is off: new photos go straight to the wall.'));
});

wallForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const seconds = Number(intervalInput.value);
  if (!Number.isInteger(seconds) || seconds < 2 || seconds > 600) {
    intervalInput.setAttribute('aria-invalid', 'true');
    say(statusEl, 'The interval must be a whole number of seconds from 2 to 600.', 'error');
    intervalInput.focus();
    return;
  }
  intervalInput.removeAttribute('aria-invalid');
  change('/api/admin/settings', { wall_interval: seconds, wall_transition: transitionSelect.value },
    wallForm.querySelector('button[type=submit]'),
    (s) => {
      edited.clear(); // saved: what arrives from now on is the newer state
      return `Saved. Each photo stays ${s.wall_interval} seconds (${s.wall_transition}).`;
    });
});

// ---- photos -------------------------------------------------------------------------------

function makeCard(photo) {
  const el = template.content.cloneNode(true).querySelector('.admin-item');
  const card = {
    id: photo.id,
    el,
    photo: {},
    thumb: el.querySelector('.photo-thumb'),
    title: el.querySelector('.admin-item-title'),
    author: el.querySelector('.admin-item-author'),
    badge: el.querySelector('.badge'),
    approve: el.querySelector('.admin-approve'),
    remove: el.querySelector('.admin-remove'),
    img: null,
  };
  el.dataset.photoId = String(photo.id);
  card.approve.addEventListener('click', () => approve(card));
  card.remove.addEventListener('click', () => removePhoto(card));
  cards.set(photo.id, card);
  return card;
}

function fill(card, photo) {
  card.photo = { ...card.photo, ...photo };
  const p = card.photo;
  const name = p.title ? `“${p.title}”` : `photo ${p.id}`;
  card.title.textContent = p.title || 'Untitled';
  card.title.classList.toggle('muted', !p.title);
  card.author.textContent = authorLabel(p.author);
  const rendition = thumbnailOf(p.sizes);
  if (rendition) {
    if (!card.img) {
      card.img = new Image();
      card.img.decoding = 'async';
      card.img.loading = 'lazy';
      card.thumb.replaceChildren(card.img);
    }
    card.img.alt = p.title ? `Photo: ${p.title}` : `Photo ${p.id}`;
    if (card.img.getAttribute('src') !== rendition.url) card.img.src = rendition.url;
  } else if (p.state === 'failed') {
    card.thumb.querySelector('.thumb-placeholder')?.replaceChildren('Could not process');
  }
  const s = stateLabel(p, true);
  card.badge.textContent = s.text;
  card.badge.className = `badge badge-${s.kind}`;
  card.el.dataset.state = p.state || '';
  card.el.dataset.approved = String(p.approved !== false);
  card.approve.hidden = !(p.approved === false && p.state !== 'failed');
  card.approve.setAttribute('aria-label', `Approve ${name}`);
  card.remove.setAttribute('aria-label', `Remove ${name}`);
}

function upsert(photo) {
  if (!photo || !Number.isInteger(photo.id)) return;
  let card = cards.get(photo.id);
  if (!card) {
    card = makeCard(photo);
    // Newest first: ids grow with time.
    const after = [...list.children].find((li) => Number(li.dataset.photoId) < photo.id);
    list.insertBefore(card.el, after || null);
    trim();
  }
  fill(card, photo);
  counts();
}

function trim() {
  while (cards.size > MAX_CARDS) {
    const oldest = Math.min(...cards.keys());
    drop(oldest);
  }
}

function drop(id) {
  const card = cards.get(id);
  if (!card) return;
  cards.delete(id);
  card.el.remove();
  counts();
}

function counts() {
  const waiting = [...cards.values()].filter(
    (c) => c.photo.approved === false && c.photo.state !== 'failed').length;
  countEl.textContent = cards.size
    ? `(${cards.size}${waiting ? `, ${waiting} waiting for approval` : ''})` : '';
  emptyEl.hidden = !loaded || cards.size > 0;
}

async function approve(card) {
  card.approve.disabled = true;
  try {
    await api('POST', `/api/admin/photos/${card.id}/approve`);
    fill(card, { approved: true });
    counts();
    say(statusEl, 'Approved. It is on the wall.', 'ok');
  } catch (error) {
    say(statusEl, error.message, 'error');
  } finally {
    card.approve.disabled = false;
  }
}

async function removePhoto(card) {
  const title = card.photo.title ? `“${card.photo.title}”` : 'this photo';
  const sure = await confirmAction(
    `Remove ${title} ${authorLabel(card.photo.author)}? It disappears from the wall at once and cannot be restored.`,
    'Remove photo');
  if (!sure) return;
  card.remove.disabled = true;
  try {
    await api('DELETE', `/api/photos/${card.id}`);
    drop(card.id);
    say(statusEl, 'Photo removed.', 'ok');
  } catch (error) {
    card.remove.disabled = false;
    if (error.status === 404) drop(card.id);
    say(statusEl, error.message, 'error');
  }
}

// ---- start --------------------------------------------------------------------------------

async function start() {
  let data;
  try {
    data = await api('GET', '/api/admin/photos');
  } catch (error) {
    say(statusEl, error.message, 'error');
    return;
  }
  loaded = true;
  applyState(data.state);
  for (const photo of [...data.photos].sort((a, b) => b.id - a.id)) upsert(photo);
  counts();
  const update = (photo) => {
    if (cards.has(photo.id) || 'state' in photo) upsert(photo);
  };
  connectLive(data.last_event_id, {
    'photo.created': upsert,
    'photo.ready': upsert,
    'photo.awaiting_approval': (photo) => {
      upsert(photo);
      announce('A new photo is waiting for your approval.');
    },
    'photo.published': (photo) => upsert({ ...photo, state: 'ready', approved: true }),
    'photo.updated': update,
    'photo.failed': (d) => { if (cards.has(d.id)) upsert({ id: d.id, state: 'failed' }); },
    'photo.deleted': (d) => drop(d.id),
    'uploads.paused': applyState,
    'uploads.resumed': applyState,
    'settings.changed': applyState,
  });
}

start();
