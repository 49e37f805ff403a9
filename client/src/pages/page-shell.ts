import { byId, setText, show } from '../ui/dom.ts';

/** Every top-level view of index.html: a page shows exactly one. */
const VIEWS = [
  'lobby',
  'invite-view',
  'game',
  'error-view',
  'leaderboard-view',
  'profile-view',
  'replay-view',
];

/** Shows the view `id` alone. The connection indicator belongs to the socket, which pages do not open. */
export function showView(id: string): void {
  for (const view of VIEWS) show(byId(view), view === id);
  show(byId('connection'), false);
}

/** A page that cannot show what was asked for (no such player or match, server down): says so plainly. */
export function showPageError(message: string): void {
  setText(byId('error'), message);
  showView('error-view');
}

/** A link with text (never HTML) and an optional test id. */
export function link(text: string, href: string, testId?: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  if (testId) a.dataset.testid = testId;
  return a;
}

/** A table cell holding text (never HTML) or a node. */
export function cell(
  content: string | Node,
  opts: { className?: string; testId?: string } = {},
): HTMLTableCellElement {
  const td = document.createElement('td');
  if (typeof content === 'string') td.textContent = content;
  else td.append(content);
  if (opts.className) td.className = opts.className;
  if (opts.testId) td.dataset.testid = opts.testId;
  return td;
}
