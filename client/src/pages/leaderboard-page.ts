import { byId, setText, show } from '../ui/dom.ts';
import { getJson, leaderboardUrl, type LeaderboardBody, type RankedPlayerBody } from './api.ts';
import { formatRating } from './format.ts';
import { cell, link, showPageError, showView } from './page-shell.ts';
import { playerHref } from './routes.ts';

/** /leaderboard: the top rated players, the reader's own row highlighted (or added below the top). */
export async function showLeaderboard(me: string | null): Promise<void> {
  showView('leaderboard-view');
  document.title = 'Leaderboard · Pong Arena';
  const res = await getJson<LeaderboardBody>(leaderboardUrl(me));
  if (!res.ok) return showPageError(`The leaderboard is not available: ${res.message}`);
  const { players, me: mine } = res.body;
  const rows = players.map((p) => row(p, p.id === me, 'leaderboard-row'));
  // The reader's rank below the top, when they are rated but not in it.
  if (mine && !players.some((p) => p.id === mine.id)) {
    const gap = document.createElement('tr');
    gap.className = 'gap';
    gap.append(cell('…'), cell(''), cell(''), cell(''), cell(''));
    rows.push(gap, row(mine, true, 'leaderboard-me'));
  }
  byId('leaderboard-rows').replaceChildren(...rows);
  show(byId('leaderboard'), players.length > 0);
  setText(
    byId('leaderboard-status'),
    players.length === 0
      ? 'Nobody is rated yet: play a quick match to be the first!'
      : mine
        ? `You are #${mine.rank}.`
        : 'Play a quick match to get a rank.',
  );
}

function row(p: RankedPlayerBody, isMe: boolean, testId: string): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.testid = testId;
  tr.dataset.playerId = p.id;
  if (isMe) {
    tr.classList.add('me');
    tr.setAttribute('aria-current', 'true');
  }
  const name = document.createElement('span');
  name.append(link(p.nickname, playerHref(p.id, location.search), 'leaderboard-player'));
  if (isMe) name.append(' (you)');
  tr.append(
    cell(String(p.rank), { className: 'num', testId: 'leaderboard-rank' }),
    cell(name),
    cell(formatRating(p.rating, p.rd), { className: 'num', testId: 'leaderboard-rating' }),
    cell(String(p.matches), { className: 'num' }),
    cell(String(p.wins), { className: 'num' }),
  );
  return tr;
}
