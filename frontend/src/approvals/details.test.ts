import { describe, expect, it } from 'vitest';
import { countdown, parseDetails, prettyDetails, safeText, safeValue, visibleText } from './details';

describe('authorization details as shown to an approver', () => {
  it('lists every object and field in the order sent', () => {
    expect(parseDetails('[{"type":"refund","invoice":"INV-1001","amount":"42.00","currency":"EUR"},{"type":"note","n":1}]')).toEqual({
      ok: true,
      details: [
        {
          type: 'refund',
          fields: [
            { key: 'invoice', value: 'INV-1001', structured: false },
            { key: 'amount', value: '42.00', structured: false },
            { key: 'currency', value: 'EUR', structured: false },
          ],
        },
        { type: 'note', fields: [{ key: 'n', value: '1', structured: false }] },
      ],
    });
  });

  it.each([
    ['plain', 'plain'],
    ['', '""'],
    [' 42 ', '" 42 "'],
    ['a"b\\c', 'a\\"b\\\\c'],
    ['two\nlines', 'two\\nlines'],
    ['EUR\u202egnp.exe', 'EUR\\u202egnp.exe'],
    ['zero\u200bwidth', 'zero\\u200bwidth'],
    ['tag\u{e0041}', 'tag\\udb40\\udc41'],
    ['<b>bold</b>', '<b>bold</b>'],
  ])('string %j → %s', (value, shown) => {
    expect(safeValue(value)).toBe(shown);
  });

  it('shows other values as JSON', () => {
    expect(safeValue(42.5)).toBe('42.5');
    expect(safeValue(true)).toBe('true');
    expect(safeValue(null)).toBe('null');
    expect(safeValue({ a: 'x\u2028y' })).toBe('{\n  "a": "x\\u2028y"\n}');
    expect(safeText('k\u0000')).toBe('k\\u0000');
  });

  it('keeps anything but an array of objects raw', () => {
    expect(parseDetails('{"type":"refund"}')).toEqual({ ok: false, raw: '{"type":"refund"}' });
    expect(parseDetails('[1]')).toEqual({ ok: false, raw: '[1]' });
    expect(parseDetails('not json')).toEqual({ ok: false, raw: 'not json' });
    expect(prettyDetails('[{"type":"a\u202e"}]')).toBe('[\n  {\n    "type": "a\\u202e"\n  }\n]');
  });

  it('counts down to the expiry', () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    expect(countdown('2026-11-20T10:04:05Z', now)).toBe('in 4 min 05 s');
    expect(countdown('2026-11-20T10:00:09Z', now)).toBe('in 9 s');
    expect(countdown('2026-11-20T12:30:00Z', now)).toBe('in 2 h 30 min');
    expect(countdown('2026-11-20T09:57:00Z', now)).toBe('3 min 00 s ago');
  });
});

describe('visibleText', () => {
  it('keeps prose as written, escaping only what would hide', () => {
    expect(visibleText('"Refund INV-1001" \\ ok')).toBe('"Refund INV-1001" \\ ok');
    expect(visibleText('a\u202eb\nc')).toBe('a\\u202eb\\u000ac');
  });
});
