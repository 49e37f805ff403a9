// The leaderboard, profile and replay pages are client routes: the server answers them with the
// client's index.html, and a malformed id with the same page under a 404 (the page says "not found").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newMatchId, newProfileId } from '../../server/store/ids.ts';
import { useTestEnv } from '../support/env.ts';

const PAGE = '<!doctype html><title>Pong Arena</title>';

describe('client pages', () => {
  const env = useTestEnv();
  const clientDir = mkdtempSync(join(tmpdir(), 'pong-pages-'));
  writeFileSync(join(clientDir, 'index.html'), PAGE);
  afterAll(() => rmSync(clientDir, { recursive: true, force: true }));

  it('serves index.html for /leaderboard, /players/<id> and /replay/<id>; 404 for a malformed id', async () => {
    const server = await env.startServer({ clientDir });
    const get = (url: string) => server.app.http.inject({ method: 'GET', url });
    for (const url of ['/leaderboard', `/players/${newProfileId()}`, `/replay/${newMatchId()}`]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toBe(PAGE);
    }
    for (const url of [
      '/players/short',
      '/players/bad%20id%20here',
      '/replay/x',
      `/replay/${'a'.repeat(65)}`,
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).toBe(PAGE);
    }
  });

  it('has no player API without a store', async () => {
    const server = await env.startServer({ clientDir });
    const res = await server.app.http.inject({ method: 'GET', url: '/api/leaderboard' });
    expect(res.statusCode).toBe(404);
  });
});
