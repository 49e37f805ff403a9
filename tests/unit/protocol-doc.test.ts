// Keeps docs/PROTOCOL.md from drifting: every event of both event maps and every error code has a
// row in its table (and no row names something that no longer exists), and the RoomInfo and
// RoomListing shapes it shows have exactly the fields the server sends, and the binary layouts add up.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INPUT_FRAME_BYTES } from '../../shared/codec/input-frame.ts';
import { SNAPSHOT_BYTES } from '../../shared/codec/snapshot.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import { CLIENT_EVENTS, SERVER_EVENTS } from '../../shared/protocol/messages.ts';
import { roomListingSchema } from '../../shared/protocol/schemas.ts';
import { RoomHarness } from './support/room-harness.ts';

const DOC = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** The lines under the `## ` heading that starts with `title`, up to the next `## ` heading. */
function section(title: string): string[] {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## ${title}`));
  if (start < 0) throw new Error(`PROTOCOL.md has no "## ${title}" section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

interface Row {
  name: string;
  cells: string[];
}

/** Table rows whose first cell is one `code` span (header and rule rows have none). */
function tableRows(lines: string[]): Row[] {
  const rows: Row[] = [];
  for (const line of lines) {
    const m = /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    // Split on pipes that are not escaped (`\|` inside a cell is part of the text).
    const cells = (m[2] as string).split(/(?<!\\)\|/).map((c) => c.trim());
    rows.push({ name: m[1] as string, cells });
  }
  return rows;
}

/** The field names of a `Name = { ... };` block in the doc's code samples. */
function shapeFields(name: string): string[] {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${name} = {`));
  if (start < 0) throw new Error(`PROTOCOL.md shows no "${name} = {" block`);
  const fields: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('}')) return fields;
    const m = /^\s+(\w+):/.exec(line);
    if (m) fields.push(m[1] as string);
  }
  throw new Error(`the ${name} block never closes`);
}

const sorted = (names: Iterable<string>) => [...names].sort();

describe.each([
  { title: 'Client → server', events: CLIENT_EVENTS },
  { title: 'Server → client', events: SERVER_EVENTS },
])('PROTOCOL.md, $title', ({ title, events }) => {
  const rows = tableRows(section(title));

  it('has a row for every event of the event map, and none for an event that does not exist', () => {
    expect(events.size).toBeGreaterThan(0);
    expect(sorted(rows.map((r) => r.name))).toEqual(sorted(events));
  });

  it('says what each event carries and when or why', () => {
    for (const { name, cells } of rows) {
      expect(cells.length, name).toBeGreaterThanOrEqual(2);
      for (const cell of cells) expect(cell, name).not.toBe('');
      // The last column is the prose: more than a word or two.
      expect((cells.at(-1) as string).length, name).toBeGreaterThan(20);
    }
  });
});

describe('PROTOCOL.md, error codes', () => {
  const rows = tableRows(section('Error codes'));

  it('has a row for every code of the catalog, and none for a code that does not exist', () => {
    expect(sorted(rows.map((r) => r.name))).toEqual(sorted(Object.values(ErrorCode)));
  });

  it('gives each code a meaning', () => {
    for (const { name, cells } of rows) expect(cells[0]?.length ?? 0, name).toBeGreaterThan(10);
  });
});

describe('PROTOCOL.md, shapes', () => {
  it('shows RoomInfo with exactly the fields a room sends', () => {
    const info = new RoomHarness().room.info();
    expect(sorted(shapeFields('RoomInfo'))).toEqual(sorted(Object.keys(info)));
  });

  it('shows RoomListing with exactly the fields of its schema', () => {
    expect(sorted(shapeFields('RoomListing'))).toEqual(sorted(Object.keys(roomListingSchema.shape)));
  });
});

describe('PROTOCOL.md, binary layouts', () => {
  const SIZES: Record<string, number> = { u8: 1, i8: 1, u16: 2, u32: 4 };

  it('lays the snapshot out field after field over exactly SNAPSHOT_BYTES', () => {
    const lines = section('Server → client');
    let next = 0;
    let rows = 0;
    for (const line of lines) {
      const m = /^\|\s*(\d+)\s*\|\s*(u8|u16|u32)(?:\s*×(\d+))?\s*\|/.exec(line);
      if (!m) continue;
      rows += 1;
      expect(Number(m[1]), line).toBe(next);
      next += (SIZES[m[2] as string] as number) * Number(m[3] ?? 1);
    }
    expect(rows).toBeGreaterThan(0);
    expect(next).toBe(SNAPSHOT_BYTES);
    expect(DOC).toContain(`binary, ${SNAPSHOT_BYTES} bytes`);
  });

  it('gives the input frame exactly INPUT_FRAME_BYTES', () => {
    const m = /`u8 0xFD \| u32 seq \| i8 intent \| u8 ticks`/.exec(DOC);
    expect(m).not.toBeNull();
    const types = (m?.[0] ?? '').match(/\b[ui](8|16|32)\b/g) ?? [];
    expect(types.reduce((n, t) => n + (SIZES[t] as number), 0)).toBe(INPUT_FRAME_BYTES);
  });
});
