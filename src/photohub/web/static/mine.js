// "My photos": the guest's own uploads, edited and deleted inline, live-updated.
import {
  announce, api, confirmAction, connectLive, say, stateLabel, thumbnailOf,
} from './common.js';

const list = document.getElementById('my-photos');
const template = document.getElementById('photo-item');
const statusEl = document.getElementById('mine-status');
const emptyEl = document.getElementById('mine-empty');
const nameForm = document.getElementById('name-form');
const nameInput = document.getElementById('my-name');
const nameStatus = document.getElementById('name-status');
const isAdmin = document.documentElement.dataset.admin === 'true';

const cards = new Map(); // photo id -> card
let loaded = false;
let refetchTimer = 0;

function makeCard(photo) {
  const el = template.content.cloneNode(true).querySelector('.photo-item');
  const card = {
    id: photo.id,
    el,
    photo: {},
    saved: { title: '', description: '' },
    thumb: el.querySelector('.photo-thumb'),
    badge: el.querySelector('.badge'),
    title: el.querySelector('.photo-title'),
    description: el.querySelector('.photo-description'),
    form: el.querySelector('.photo-body'),
    save: el.querySelector('.photo-save'),
    remove: el.querySelector('.photo-delete'),
    message: el.querySelector('.photo-message'),
    img: null,
    failure: '',
  };
  el.dataset.photoId = String(photo.id);
  card.title.id = `title-${photo.id}`;
  card.description.id = `description-${photo.id}`;
  card.form.addEventListener('submit', (event) => {
    event.preventDefault();
    saveCard(card);
  });
  card.remove.addEventListener('click', () => deleteCard(card));
  cards.set(photo.id, card);
  return card;
}

function label(card) {
  return card.photo.title ? `“${card.photo.title}”` : 'this photo';
}

/** Put a photo's latest data into its card without clobbering what is being typed. */
function fill(card, photo) {
  card.photo = { ...card.photo, ...photo };
  const p = card.photo;
  for (const field of ['title', 'description']) {
    const input = card[field];
    const value = p[field] || '';
    const editing = document.activeElement === input || input.value !== card.saved[field];
    card.saved[field] = value;
    if (!editing) input.value = value;
  }
  const rendition = thumbnailOf(p.sizes);
  if (rendition) {
    if (!card.img) {
      card.img = new Image();
      card.img.decoding = 'async';
      card.img.loading = 'lazy';
      card.thumb.replaceChildren(card.img);
    }
    card.img.alt = p.title ? `Photo: ${p.title}` : 'Your photo';
    if (card.img.getAttribute('src') !== rendition.url) card.img.src = rendition.url;
  } else if (p.state === 'failed') {
    card.thumb.querySelector('.thumb-placeholder')?.replaceChildren('Could not process');
  }
  const state = stateLabel(p);
  card.badge.textContent = state.text;
  card.badge.className = `badge badge-${state.kind}`;
  card.el.dataset.state = p.state || '';
  if (p.state === 'failed' && card.failure) say(card.message, card.failure, 'error');
  card.save.setAttribute('aria-label', `Save ${label(card)}`);
  card.remove.setAttribute('aria-label', `Delete ${label(card)}`);
}

function upsert(photo, { prepend = true } = {}) {
  let card = cards.get(photo.id);
  if (!card) {
    card = makeCard(photo);
    if (prepend) list.prepend(card.el);
    else list.append(card.el);
  }
  fill(card, photo);
  showEmpty();
  return card;
}

function drop(id) {
  const card = cards.get(id);
  if (!card) return;
  cards.delete(id);
  card.el.remove();
  showEmpty();
}

function showEmpty() {
  emptyEl.hidden = !loaded || cards.size > 0;
}

async function saveCard(card) {
  card.save.disabled = true;
  say(card.message, 'Saving…');
  try {
    const data = await api('PATCH', `/api/photos/${card.id}`, {
      title: card.title.value,
      description: card.description.value,
    });
    card.title.value = data.photo.title || '';
    card.description.value = data.photo.description || '';
    card.saved = { title: card.title.value, description: card.description.value };
    fill(card, data.photo);
    say(card.message, 'Saved.', 'ok');
  } catch (error) {
    if (error.status === 404) {
      drop(card.id);
      say(statusEl, error.message, 'error');
      return;
    }
    say(card.message, error.message, 'error');
  } finally {
    card.save.disabled = false;
  }
}

async function deleteCard(card) {
  const sure = await confirmAction(
    `Delete ${label(card)}? It disappears from the wall at once. This cannot be undone.`,
    'Delete photo');
  if (!sure) return;
  card.remove.disabled = true;
  say(card.message, 'Deleting…');
  try {
    await api('DELETE', `/api/photos/${card.id}`);
    drop(card.id);
    say(statusEl, 'Photo deleted.', 'ok');
  } catch (error) {
    if (error.status === 404) {
      drop(card.id);
      say(statusEl, 'That photo was already deleted.', 'ok');
      return;
    }
    card.remove.disabled = false;
    say(card.message, error.message, 'error');
  }
}

nameForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = nameForm.querySelector('button');
  button.disabled = true;
  try {
    const data = await api('POST', '/api/me', { name: nameInput.value });
    nameInput.value = data.name;
    say(nameStatus, data.name
      ? `Saved. Your photos now show “${data.name}”.`
      : 'Saved. Your photos now show “a guest”.', 'ok');
  } catch (error) {
    say(nameStatus, error.message, 'error');
  } finally {
    button.disabled = false;
  }
});

// ---- live updates ----------------------------------------------------------------------

/** The host's browser receives every guest's events: reload the list instead of guessing. */
function refetchSoon() {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(async () => {
    try {
      const data = await api('GET', '/api/mine');
      const ids = new Set(data.photos.map((p) => p.id));
      for (const id of [...cards.keys()]) if (!ids.has(id)) drop(id);
      for (const photo of [...data.photos].reverse()) upsert(photo);
    } catch {
      // keep what is shown; the next event tries again
    }
  }, 400);
}

function ownerEvent(data) {
  if (!data || !Number.isInteger(data.id)) return;
  if (cards.has(data.id)) {
    upsert(data);
  } else if (isAdmin) {
    refetchSoon();
  } else if ('state' in data) {
    upsert(data); // owner copies reach only the owner (and the host)
    announce('A new photo of yours was added.');
  }
}

function publicUpdate(data) {
  if (!data || !cards.has(data.id)) return; // someone else's photo
  if ('state' in data) ownerEvent(data);
  else upsert(data);
}

function failed(data) {
  const card = data && cards.get(data.id);
  if (!card) return;
  card.failure = data.message || 'This photo could not be processed.';
  fill(card, { state: 'failed' });
}

function published(data) {
  if (data && cards.has(data.id)) upsert({ ...data, state: 'ready', approved: true });
}

async function start() {
  let data;
  try {
    data = await api('GET', '/api/mine');
  } catch (error) {
    say(statusEl, error.message, 'error');
    return;
  }
  loaded = true;
  if (data.name && !nameInput.value) nameInput.value = data.name;
  for (const photo of data.photos) upsert(photo, { prepend: false });
  say(statusEl, '');
  showEmpty();
  connectLive(data.last_event_id, {
    'photo.created': ownerEvent,
    'photo.ready': ownerEvent,
    'photo.updated': publicUpdate,
    'photo.published': published,
    'photo.failed': failed,
    'photo.deleted': (d) => drop(d.id),
  });
}

start();
