import { byId, setText, show } from '../ui/dom.ts';
import { getJson, playerUrl, type HistoryEntryBody, type PlayerBody } from './api.ts';
import { formatDate, formatDelta, formatDuration, formatRating } from './format.ts';
import { cell, link, showPageError, showView } from './page-shell.ts';
import { playerHref, replayHref } from './routes.ts';

const NO_SUCH_PLAYER = 'No such player: this profile does not exist.';

/**
 * /players/<id>: the player's rating, record and match history, newest first; "More" fetches the
 * next, older page with the cursor the last page gave.
 */
export async function showProfile(id: string, me: string | null): Promise<void> {
  showView('profile-view');
  if (!id) return showPageError(NO_SUCH_PLAYER);
  const res = await getJson<PlayerBody>(playerUrl(id));
  if (!res.ok) {
    return showPageError(
      res.status === 404 ? NO_SUCH_PLAYER : `This profile is not available: ${res.message}`,
    );
  }
  const p = res.body;
  document.title = `${p.nickname} · Pong Arena`;
  setText(byId('profile-name'), id === me ? `${p.nickname} (you)` : p.nickname);
  setText(byId('profile-rating'), formatRating(p.rating, p.rd));
  setText(byId('profile-matches'), String(p.matches));
  setText(byId('profile-wins'), String(p.wins));
  show(byId('profile-stats'), true);
  setText(byId('profile-status'), p.matches === 0 ? 'No rated match yet.' : '');
  show(byId('profile-status'), p.matches === 0);

  const rows = byId('history-rows');
  const more = byId<HTMLButtonElement>('history-more');
  rows.replaceChildren(...p.history.map(historyRow));
  show(byId('history'), p.history.length > 0);
  show(byId('history-empty'), p.history.length === 0);
  let next = p.nextCursor;
  show(more, next !== null);
  more.addEventListener('click', async () => {
    if (!next) return;
    more.disabled = true;
    const page = await getJson<PlayerBody>(playerUrl(id, next));
    more.disabled = false;
    if (!page.ok) return setText(more, 'More (failed: try again)');
    setText(more, 'More');
    rows.append(...page.body.history.map(historyRow));
    next = page.body.nextCursor;
    show(more, next !== null);
  });
}

function historyRow(h: HistoryEntryBody): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.testid = 'history-row';
  tr.dataset.matchId = h.matchId;
  tr.className = h.won ? 'won' : 'lost';
  const opponent = h.opponent.id
    ? link(h.opponent.nickname, playerHref(h.opponent.id, location.search), 'history-opponent')
    : h.opponent.nickname;
  const result = (h.won ? 'won' : 'lost') + (h.forfeit ? ' (forfeit)' : '');
  const delta = h.ratingDelta === null ? 'unrated' : formatDelta(h.ratingDelta);
  tr.append(
    cell(formatDate(h.endedAt), { testId: 'history-date' }),
    cell(opponent),
    cell(`${h.score[0]} : ${h.score[1]}`, { className: 'num', testId: 'history-score' }),
    cell(result, { testId: 'history-result' }),
    cell(delta, { className: 'num', testId: 'history-delta' }),
    cell(formatDuration(h.durationMs), { className: 'num', testId: 'history-duration' }),
    cell(link('Watch', replayHref(h.matchId, location.search), 'history-replay')),
  );
  return tr;
}
