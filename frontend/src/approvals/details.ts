// RFC 9396 authorization_details as an approver must read them: every
// object, every key and value, exactly. Values are shown as JSON text with
// every character that could hide or disguise something (controls,
// zero-width and bidirectional marks, line and paragraph separators)
// escaped, so what is on the screen is what the agent sent. The page
// renders them as text (React escapes), never as HTML.

/** One key/value of an authorization detail, as text safe to show. */
export interface DetailField {
  key: string;
  value: string;
  /** The value is a JSON object or array (shown as a block). */
  structured: boolean;
}

/** One object of authorization_details. */
export interface Detail {
  /** Its type, escaped; "" when it has none. */
  type: string;
  /** Every key but type, in the order sent. */
  fields: DetailField[];
}

export type ParsedDetails = { ok: true; details: Detail[] } | { ok: false; raw: string };

// C0 and C1 controls, soft hyphen, combining grapheme joiner, Arabic letter
// mark, Hangul fillers, Mongolian vowel separator, zero-width and
// bidirectional marks, line/paragraph separators, invisible operators,
// bidi isolates, the BOM and interlinear annotation and tag characters.
const hidden =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

/**
 * text with every hidden character as \uXXXX; with layout, the line breaks
 * JSON.stringify indents with are kept (the JSON text has no other).
 */
function escapeHidden(text: string, layout = false): string {
  return text.replace(hidden, (ch) => {
    if (layout && ch === '\n') return ch;
    let out = '';
    for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}

/**
 * A string as it may be shown: its JSON escaping (quotes, backslashes and
 * controls) without the surrounding quotes, plus every invisible or
 * direction-changing character as \uXXXX.
 */
export function safeText(text: string): string {
  return escapeHidden(JSON.stringify(text).slice(1, -1));
}

/**
 * Prose from the agent (a binding message, a summary, a reason) as it may
 * be shown: as written, but with every invisible or direction-changing
 * character and control as \uXXXX.
 */
export function visibleText(text: string): string {
  return escapeHidden(text);
}

/**
 * A JSON value as it may be shown: a string as safeText (quoted when it
 * would otherwise be mistaken for something else: empty, or with spaces at
 * either end), anything else as JSON, indented when structured.
 */
export function safeValue(value: unknown): string {
  if (typeof value === 'string') {
    const text = safeText(value);
    return text === '' || text !== text.trim() ? `"${text}"` : text;
  }
  if (value === undefined) return 'undefined';
  const structured = typeof value === 'object' && value !== null;
  return escapeHidden(JSON.stringify(value, null, structured ? 2 : undefined), structured);
}

/** Parses authorization_details text; anything but an array of objects is kept raw (shown as text). */
export function parseDetails(text: string): ParsedDetails {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, raw: text };
  }
  if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'object' || item === null || Array.isArray(item))) {
    return { ok: false, raw: text };
  }
  return {
    ok: true,
    details: (parsed as Record<string, unknown>[]).map((item) => ({
      type: typeof item.type === 'string' ? safeText(item.type) : item.type === undefined ? '' : safeValue(item.type),
      fields: Object.entries(item)
        .filter(([key]) => key !== 'type')
        .map(([key, value]) => ({
          key: safeText(key),
          value: safeValue(value),
          structured: typeof value === 'object' && value !== null,
        })),
    })),
  };
}

/** authorization_details pretty-printed, for the "as JSON" view; the text itself when it is not JSON. */
export function prettyDetails(text: string): string {
  try {
    return escapeHidden(JSON.stringify(JSON.parse(text), null, 2), true);
  } catch {
    return escapeHidden(text);
  }
}

/** "in 4 min 05 s", "in 12 s", "expired 3 min ago": how long until (or since) an instant. */
export function countdown(expiresAt: string, now: number): string {
  const at = new Date(expiresAt).getTime();
  if (Number.isNaN(at)) return '';
  const left = Math.round((at - now) / 1000);
  const span = (seconds: number) => {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
    if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
    return `${s} s`;
  };
  return left > 0 ? `in ${span(left)}` : `${span(-left)} ago`;
}
