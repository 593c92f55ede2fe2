// The projector wall. Runs for hours: a bounded list of photos, two <img> elements
// reused for every slide, one cycle timer, listeners registered once.
import { authorLabel, connectLive, pickRendition } from './common.js';

const MAX_PHOTOS = 200; // the newest ones; older photos fall off the cycle
const MAX_FRESH = 20; // newcomers waiting for their moment in a burst
const HIGHLIGHT_MS = 6000; // how long the "New" badge and glow stay
const MIN_NEW_DWELL_MS = 4000; // in a burst, each newcomer stays at least this long
const TRANSITION_MS = 1000; // matches the CSS transitions
const RETRY_MS = 1500;

const root = document.getElementById('wall');
const [imgA, imgB] = root.querySelectorAll('.wall-img');
const caption = document.getElementById('wall-caption');
const titleEl = document.getElementById('wall-title');
const authorEl = document.getElementById('wall-author');
const badge = document.getElementById('wall-badge');
const empty = document.getElementById('wall-empty');
const pausedEl = document.getElementById('wall-paused');
const dot = document.getElementById('wall-dot');
const hint = document.getElementById('wall-hint');

let photos = []; // newest first, at most MAX_PHOTOS
let fresh = []; // ids of newly published photos not shown yet
let front = imgA; // the visible image
let back = imgB; // the one being loaded next
let displayedId = null; // photo on `front`
let cursorId = null; // position in the cycle (last photo tried)
let shownAt = 0;
let showingNew = false;
let interval = Math.max(2, Number(root.dataset.interval) || 8) * 1000;
let sequence = 0; // invalidates a slower load when a newer switch started
let cycleTimer = 0;
let parkTimer = 0;
let badgeTimer = 0;

// ---- the screen ---------------------------------------------------------------

function longEdge() {
  const ratio = Math.min(window.devicePixelRatio || 1, 2);
  const edge = Math.max(window.screen.width || 0, window.screen.height || 0,
    window.innerWidth, window.innerHeight);
  return edge * ratio;
}

function urlOf(photo) {
  const rendition = pickRendition(photo.sizes, longEdge());
  return rendition ? rendition.url : null;
}

function setTransition(name) {
  const value = ['fade', 'slide', 'none'].includes(name) ? name : 'fade';
  root.classList.remove('transition-fade', 'transition-slide', 'transition-none');
  root.classList.add(`transition-${value}`);
}

function setPaused(paused) {
  pausedEl.hidden = !paused;
}

function applyState(state) {
  if (!state) return;
  if (Number.isFinite(state.wall_interval)) interval = Math.max(2, state.wall_interval) * 1000;
  if (state.wall_transition) setTransition(state.wall_transition);
  if (typeof state.uploads_paused === 'boolean') setPaused(state.uploads_paused);
}

function setCaption(photo) {
  const title = (photo.title || '').trim();
  titleEl.textContent = title;
  titleEl.hidden = !title;
  authorEl.textContent = authorLabel(photo.author);
  caption.hidden = false;
}

function highlight(on) {
  clearTimeout(badgeTimer);
  badge.hidden = !on;
  root.classList.toggle('is-new', on);
  if (on) badgeTimer = setTimeout(() => highlight(false), HIGHLIGHT_MS);
}

function showEmpty() {
  clearTimeout(cycleTimer);
  sequence += 1;
  front.classList.remove('is-current', 'is-leaving');
  back.classList.remove('is-current', 'is-leaving');
  caption.hidden = true;
  highlight(false);
  displayedId = null;
  cursorId = null;
  showingNew = false;
  empty.hidden = false;
}

/** Take the displayed photo off the screen at once (deleted or withdrawn). */
function hideFront() {
  front.classList.remove('is-current', 'is-leaving');
  caption.hidden = true;
  highlight(false);
  displayedId = null;
}

// ---- the cycle ------------------------------------------------------------------

function schedule(ms) {
  clearTimeout(cycleTimer);
  cycleTimer = setTimeout(advance, ms);
}

function byId(id) {
  return photos.find((p) => p.id === id) || null;
}

function nextAfter(id) {
  if (photos.length === 0) return null;
  const index = photos.findIndex((p) => p.id === id);
  return photos[(index + 1) % photos.length]; // -1 -> the newest
}

function advance() {
  while (fresh.length) {
    const photo = byId(fresh.shift());
    if (photo) {
      show(photo, true);
      return;
    }
  }
  const photo = nextAfter(cursorId);
  if (!photo) {
    showEmpty();
    return;
  }
  if (photo.id === displayedId) {
    // A single photo: nothing to switch to.
    showingNew = false;
    schedule(interval);
    return;
  }
  show(photo, false);
}

async function show(photo, isNew) {
  const mine = ++sequence;
  clearTimeout(cycleTimer);
  cursorId = photo.id;
  empty.hidden = true;
  const url = urlOf(photo);
  if (!url) {
    schedule(RETRY_MS);
    return;
  }
  clearTimeout(parkTimer);
  back.classList.remove('is-leaving');
  if (back.dataset.url !== url) {
    back.dataset.url = url;
    back.src = url;
  }
  try {
    await back.decode(); // preloaded: switch only once the image is ready
  } catch {
    if (mine === sequence) schedule(RETRY_MS); // gone or unreachable: move on
    return;
  }
  if (mine !== sequence || !byId(photo.id)) return; // overtaken, or deleted meanwhile
  swap();
  displayedId = photo.id;
  shownAt = Date.now();
  showingNew = isNew;
  setCaption(photo);
  highlight(isNew);
  const dwell = isNew && fresh.length ? MIN_NEW_DWELL_MS : Math.max(interval, isNew ? HIGHLIGHT_MS : 0);
  schedule(dwell);
}

function swap() {
  const incoming = back;
  const outgoing = front;
  incoming.classList.remove('is-leaving');
  void incoming.offsetWidth; // start from the entry position
  incoming.classList.add('is-current');
  if (outgoing.classList.contains('is-current')) {
    outgoing.classList.remove('is-current');
    outgoing.classList.add('is-leaving');
  }
  front = incoming;
  back = outgoing;
  // Once the transition is over, park the old image and preload the next one in it.
  parkTimer = setTimeout(() => {
    back.classList.remove('is-leaving');
    preloadNext();
  }, TRANSITION_MS + 100);
}

function preloadNext() {
  const next = (fresh.length && byId(fresh[0])) || nextAfter(cursorId);
  if (!next || next.id === displayedId) return;
  const url = urlOf(next);
  if (url && back.dataset.url !== url) {
    back.dataset.url = url;
    back.src = url;
  }
}

// ---- live changes -------------------------------------------------------------

function normalise(photo) {
  return photo && Number.isInteger(photo.id) ? photo : null;
}

function onWall(photo) {
  // Owner/host copies carry state and approval; public copies are on the wall by definition.
  if ('state' in photo && photo.state !== 'ready') return false;
  if ('approved' in photo && photo.approved === false) return false;
  return Array.isArray(photo.sizes) && photo.sizes.length > 0;
}

function publish(data) {
  const photo = normalise(data);
  if (!photo || !onWall(photo)) return;
  const index = photos.findIndex((p) => p.id === photo.id);
  if (index >= 0) {
    photos[index] = photo; // already known (snapshot and stream overlap)
    if (displayedId === photo.id) setCaption(photo);
    return;
  }
  photos.unshift(photo);
  if (photos.length > MAX_PHOTOS) photos.length = MAX_PHOTOS;
  fresh = fresh.filter((id) => id !== photo.id);
  fresh.push(photo.id);
  if (fresh.length > MAX_FRESH) fresh = fresh.slice(-MAX_FRESH);
  // The newest photo appears at once, unless another newcomer has just appeared.
  const elapsed = Date.now() - shownAt;
  if (showingNew && displayedId !== null && elapsed < MIN_NEW_DWELL_MS) {
    schedule(MIN_NEW_DWELL_MS - elapsed);
  } else {
    advance();
  }
}

function update(data) {
  const photo = normalise(data);
  if (!photo) return;
  if (!onWall(photo)) {
    remove(photo);
    return;
  }
  const index = photos.findIndex((p) => p.id === photo.id);
  if (index < 0) return; // only photo.published adds to the wall
  photos[index] = photo;
  if (displayedId === photo.id) setCaption(photo);
}

function remove(data) {
  const id = data && data.id;
  fresh = fresh.filter((f) => f !== id);
  const index = photos.findIndex((p) => p.id === id);
  if (index < 0) return;
  photos.splice(index, 1);
  if (displayedId !== id && cursorId !== id) return;
  if (displayedId === id) hideFront();
  if (photos.length === 0) {
    showEmpty();
    return;
  }
  const next = photos[index % photos.length];
  show(next, false);
}

// ---- the page -----------------------------------------------------------------

function toggleFullscreen() {
  hint.hidden = true;
  try {
    if (document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    } else if (root.requestFullscreen) {
      root.requestFullscreen({ navigationUI: 'hide' }).catch(() => {});
    }
  } catch {
    // not allowed here: the wall still works in a normal window
  }
}

root.addEventListener('click', toggleFullscreen);
document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (['Shift', 'Control', 'Alt', 'Meta', 'Tab'].includes(event.key)) return;
  if (event.key === 'Escape' && !document.fullscreenElement) return;
  event.preventDefault();
  toggleFullscreen();
});
setTimeout(() => { hint.hidden = true; }, 10000);

// Keep the projector awake (secure contexts only: https or http://localhost).
let wakeLock = null;
async function keepAwake() {
  if (!('wakeLock' in navigator) || document.visibilityState !== 'visible') return;
  if (wakeLock && !wakeLock.released) return;
  try {
    wakeLock = await navigator.wakeLock.request('screen');
    wakeLock.addEventListener('release', () => { wakeLock = null; }, { once: true });
  } catch {
    wakeLock = null; // refused (battery saver, no permission): nothing else to do
  }
}
document.addEventListener('visibilitychange', keepAwake);

function setConnected(connected) {
  dot.hidden = connected;
  root.classList.toggle('is-offline', !connected);
}

async function loadSnapshot() {
  let delay = 1000;
  for (;;) {
    try {
      const response = await fetch('/api/wall', {
        credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
      });
      const data = await response.json();
      if (response.ok && data.stat === 'ok') return data;
    } catch {
      // the server is restarting or the network is down: try again
    }
    setConnected(false);
    await new Promise((resolve) => { setTimeout(resolve, delay); });
    delay = Math.min(delay * 2, 15000);
  }
}

async function start() {
  setTransition(root.dataset.transition);
  keepAwake();
  const snapshot = await loadSnapshot();
  applyState(snapshot.state);
  photos = (snapshot.photos || []).map(normalise).filter((p) => p && onWall(p))
    .slice(0, MAX_PHOTOS);
  if (photos.length) show(photos[0], false);
  else showEmpty();
  connectLive(snapshot.last_event_id, {
    'photo.published': publish,
    'photo.updated': update,
    'photo.deleted': remove,
    'uploads.paused': () => setPaused(true),
    'uploads.resumed': () => setPaused(false),
    'settings.changed': applyState,
  }, setConnected);
}

start();
