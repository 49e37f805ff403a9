import type { RoomListing } from '../../../shared/protocol/messages.ts';
import { byId, show } from './dom.ts';

/** Renders the live room list with text nodes only: nicknames are never HTML. */
export function renderRoomList(
  rooms: RoomListing[],
  onWatch: (id: string) => void,
  onJoin: (id: string) => void,
): void {
  const list = byId('room-list');
  const items = rooms
    .filter((r) => r.phase !== 'finished')
    .map((r) => {
      const li = document.createElement('li');
      li.dataset.testid = 'room-item';
      const label = document.createElement('span');
      const [left, right] = r.players;
      label.textContent = `${left ?? 'open seat'} ${r.scores[0]} : ${r.scores[1]} ${right ?? 'open seat'}`;
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = `${r.phase} · ${r.spectators} watching`;
      const actions = document.createElement('span');
      if (r.joinable) actions.append(button('Join', 'join', () => onJoin(r.id)));
      actions.append(button('Watch', 'spectate', () => onWatch(r.id)));
      li.append(label, meta, actions);
      return li;
    });
  list.replaceChildren(...items);
  show(byId('room-list-empty'), items.length === 0);
}

function button(text: string, testId: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.dataset.testid = testId;
  b.addEventListener('click', onClick);
  return b;
}
