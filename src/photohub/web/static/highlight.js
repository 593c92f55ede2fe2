// A tiny syntax highlighter for API responses: JSON and XML, pretty-printed into tokens
// and rendered as spans (textContent only, so a response can never inject markup).
// Plain ES module, no library.

/**
 * JSON text as tokens `{kind, text}`; kinds: key, string, number, literal, punct, space.
 * The text is re-indented first; text that is not JSON comes back as one plain token.
 */
export function jsonTokens(text) {
  let pretty;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return [{ kind: 'plain', text }];
  }
  const pattern = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(true|false|null)|([{}[\],:])|(\s+)/y;
  const tokens = [];
  let at = 0;
  while (at < pretty.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(pretty);
    if (!m) {
      tokens.push({ kind: 'plain', text: pretty[at] });
      at += 1;
      continue;
    }
    if (m[1] !== undefined) {
      tokens.push({ kind: m[2] ? 'key' : 'string', text: m[1] });
      if (m[2]) tokens.push({ kind: 'punct', text: m[2] });
    } else if (m[3] !== undefined) {
      tokens.push({ kind: 'number', text: m[3] });
    } else if (m[4] !== undefined) {
      tokens.push({ kind: 'literal', text: m[4] });
    } else if (m[5] !== undefined) {
      tokens.push({ kind: 'punct', text: m[5] });
    } else {
      tokens.push({ kind: 'space', text: m[6] });
    }
    at = pattern.lastIndex;
  }
  return tokens;
}

function escapeText(value) {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(value) {
  return escapeText(value).replace(/"/g, '&quot;');
}

/**
 * XML text as indented tokens; kinds: decl, punct, tag, attr, value, text, space.
 * Returns null when the text is not well-formed XML.
 */
export function xmlTokens(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (!doc.documentElement || doc.getElementsByTagName('parsererror').length) return null;
  const tokens = [];
  const declaration = /^\s*(<\?xml[^?]*\?>)/.exec(text);
  if (declaration) tokens.push({ kind: 'decl', text: declaration[1] }, { kind: 'space', text: '\n' });
  const walk = (element, depth) => {
    const indent = '  '.repeat(depth);
    if (depth) tokens.push({ kind: 'space', text: indent });
    tokens.push({ kind: 'punct', text: '<' }, { kind: 'tag', text: element.nodeName });
    for (const attr of element.attributes) {
      tokens.push(
        { kind: 'space', text: ' ' },
        { kind: 'attr', text: attr.name },
        { kind: 'punct', text: '=' },
        { kind: 'value', text: `"${escapeAttr(attr.value)}"` },
      );
    }
    const children = [...element.childNodes].filter(
      (node) => node.nodeType === Node.ELEMENT_NODE
        || ((node.nodeType === Node.TEXT_NODE || node.nodeType === Node.CDATA_SECTION_NODE)
          && node.nodeValue.trim() !== ''),
    );
    if (children.length === 0) {
      tokens.push({ kind: 'punct', text: ' />' }, { kind: 'space', text: '\n' });
      return;
    }
    tokens.push({ kind: 'punct', text: '>' });
    const close = () => tokens.push(
      { kind: 'punct', text: '</' },
      { kind: 'tag', text: element.nodeName },
      { kind: 'punct', text: '>' },
      { kind: 'space', text: '\n' },
    );
    if (children.length === 1 && children[0].nodeType !== Node.ELEMENT_NODE) {
      tokens.push({ kind: 'text', text: escapeText(children[0].nodeValue) });
      close();
      return;
    }
    tokens.push({ kind: 'space', text: '\n' });
    for (const child of children) {
      if (child.nodeType === Node.ELEMENT_NODE) {
        walk(child, depth + 1);
      } else {
        tokens.push(
          { kind: 'space', text: '  '.repeat(depth + 1) },
          { kind: 'text', text: escapeText(child.nodeValue.trim()) },
          { kind: 'space', text: '\n' },
        );
      }
    }
    tokens.push({ kind: 'space', text: indent });
    close();
  };
  walk(doc.documentElement, 0);
  return tokens;
}

/** Put tokens into `target` as `<span class="tok-KIND">` (spaces as plain text). */
export function renderTokens(target, tokens) {
  const fragment = document.createDocumentFragment();
  for (const token of tokens) {
    if (token.kind === 'space' || token.kind === 'plain') {
      fragment.append(document.createTextNode(token.text));
    } else {
      const span = document.createElement('span');
      span.className = `tok-${token.kind}`;
      span.textContent = token.text;
      fragment.append(span);
    }
  }
  target.replaceChildren(fragment);
}

/** Highlight `text` as `kind` ('json' or 'xml') into `target`; plain text if it does not parse. */
export function highlight(target, text, kind) {
  const tokens = kind === 'xml' ? xmlTokens(text) : jsonTokens(text);
  renderTokens(target, tokens || [{ kind: 'plain', text }]);
}
