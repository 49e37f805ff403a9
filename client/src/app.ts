import type Phaser from 'phaser';
import { FIELD_HEIGHT_PX } from '../../shared/constants.ts';
import type {
  ComputerLevel,
  JoinOk,
  JoinResult,
  MatchResult,
  RoomListing,
  RoomPhase,
} from '../../shared/protocol/messages.ts';
import { startGame } from './game/start-game.ts';
import type { FieldFrame } from './game/field-scene.ts';
import {
  connect,
  handshakeAuth,
  isBadCredentials,
  leaveOnPageHide,
  moveToNode,
  nodeOf,
  reconnectNow,
  type GameSocket,
} from './net/connection.ts';
import { MatchSession } from './net/match-session.ts';
import { loadCredentials, renewCredentials, type Credentials } from './net/profile-credentials.ts';
import { formatDelta } from './pages/format.ts';
import { leaderboardHref, playerHref, replayHref } from './pages/routes.ts';
import { Controls } from './ui/controls.ts';
import { byId, setText, show } from './ui/dom.ts';
import { Hud } from './ui/hud.ts';
import { renderRoomList } from './ui/room-list.ts';

const NICKNAME_KEY = 'pong.nickname';
/**
 * How many times one page makes a new profile after BAD_CREDENTIALS: a fresh id and secret are
 * always accepted, so more than that is a server problem, and looping would hide it.
 */
const MAX_CREDENTIAL_RENEWALS = 2;
const seatKey = (code: string) => `pong.seat.${code}`;
const INVITE_PATH = /^\/r\/([A-Za-z0-9_-]+)\/?$/;
const WATCH_PATH = /^\/w\/([A-Za-z0-9_-]+)\/?$/;
/** A room whose owner is being settled (a node died or is handing over) is asked for again this often. */
const ELSEWHERE_RETRY_MS = 1_000;
/** …for at most this long (the seat grace is 15 s by default). */
const ELSEWHERE_RETRY_LIMIT = 20;
/** How often the link's liveness is checked while in a room (frames stop in a hidden tab; this does not). */
const LIVENESS_CHECK_MS = 250;

type ConnectionState = 'online' | 'stalled' | 'reconnecting' | 'offline';
const CONNECTION_TEXT: Record<ConnectionState, string> = {
  online: 'online',
  // Open but silent: the player sees the same as for a closed connection, which it soon will be.
  stalled: 'reconnecting…',
  reconnecting: 'reconnecting…',
  offline: 'offline',
};

export interface AppOptions {
  canvasRenderer: boolean;
  transport: 'websocket' | 'polling' | 'auto';
}

/** How the current room was entered, so a reconnect can enter it again the same way. */
type Entry = { by: 'code'; code: string } | { by: 'id'; id: string; play?: boolean };

/** The page: lobby, quick match, invite flow and match screen. Owns the socket and the MatchSession. */
export class App {
  private readonly socket: GameSocket;
  private session: MatchSession | null = null;
  private entry: Entry | null = null;
  private game: Phaser.Game | null = null;
  private inLobby = false;
  private readonly hud = new Hud();
  private readonly controls: Controls;
  private readonly nickname = byId<HTMLInputElement>('nickname');
  private readonly inviteNickname = byId<HTMLInputElement>('invite-nickname');
  private readonly connection = byId('connection');
  private livenessTimer: ReturnType<typeof setInterval> | null = null;
  /** The invite code whose seat the invite view offers. */
  private invitedTo: string | null = null;
  /** A join to send (again) once connected: the room runs on another node, or is being resumed. */
  private pending: { entry: Entry; nickname?: string; attempts: number } | null = null;
  private pendingTimer: ReturnType<typeof setTimeout> | null = null;
  /** The server stopped on purpose: reconnect through the balancer, wherever it sends us. */
  private restarting = false;
  /** The browser's profile: one queue entry and one live seat per player across tabs, and its ratings. */
  private credentials: Credentials;
  private credentialRenewals = 0;
  /** The last match's result, shown once the view reaches the finished match; cleared by a rematch. */
  private result: MatchResult | null = null;
  private lastPhase: RoomPhase | null = null;

  constructor(private readonly opts: AppOptions) {
    this.credentials = loadCredentials(localStorage);
    this.socket = connect(location.origin, { transport: opts.transport, ...this.credentials });
    this.controls = new Controls(byId('field'));
    this.nickname.value = localStorage.getItem(NICKNAME_KEY) ?? '';
    this.nickname.addEventListener('change', () => this.nick(this.nickname));
    byId('invite-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.acceptInvite();
    });
    byId('create-private').addEventListener('click', () => this.createPrivate());
    byId('quick-match').addEventListener('click', () => this.quickMatch());
    byId('cancel-search').addEventListener('click', () => this.cancelSearch());
    byId('practice').addEventListener('click', () => this.practice());
    byId('rematch').addEventListener('click', () => this.socket.emit('room:rematch', () => undefined));
    byId('back-to-lobby').addEventListener('click', () => this.backToLobby());
    byId('copy-invite').addEventListener('click', () => {
      void navigator.clipboard?.writeText(byId('invite-link').textContent ?? '');
    });
    window.addEventListener('popstate', () => this.route());
    // Closed, reloaded or navigated away: the opponent learns it now, not at the next heartbeat.
    // (A page restored from the back/forward cache finds its session closed and socket.io reconnects.)
    window.addEventListener('pagehide', () => leaveOnPageHide(this.socket, location.origin));
    this.renderProfileLinks();
    this.wireConnection();
  }

  start(): void {
    this.route();
  }

  private route(): void {
    const invite = INVITE_PATH.exec(location.pathname);
    const watch = WATCH_PATH.exec(location.pathname);
    if (invite) {
      const code = invite[1] as string;
      // A seat token means this browser already holds the seat: take it back without a question
      // (the page keeps saying "Rejoining…" until the match shows).
      if (localStorage.getItem(seatKey(code))) this.enter({ by: 'code', code });
      else this.showInvite(code);
      return;
    }
    show(byId('invite-view'), false);
    if (watch) this.enter({ by: 'id', id: watch[1] as string });
    else this.showLobby();
  }

  private wireConnection(): void {
    this.socket.on('connect', () => {
      this.renderConnection();
      this.restarting = false;
      const pending = this.pending;
      // Moved to the room's node: send the join that brought us here.
      if (pending) this.enter(pending.entry, pending.nickname);
      // socket.io reconnected by itself: take the seat back with its token (or watch again).
      else if (this.entry && this.session) this.enter(this.entry);
      if (this.inLobby) this.subscribeLobby();
    });
    this.socket.on('disconnect', (reason) => {
      this.renderConnection();
      // A node stopping lets its clients go on purpose; socket.io does not come back by itself then.
      if (reason === 'io server disconnect' && this.restarting) moveToNode(this.socket, null);
    });
    this.socket.io.on('reconnect_attempt', () => this.renderConnection());
    this.socket.on('connect_error', (err) => {
      if (isBadCredentials(err) && this.credentialRenewals < MAX_CREDENTIAL_RENEWALS) {
        this.renewProfile();
        return;
      }
      this.renderConnection();
      const data = (err as Error & { data?: { message?: string } }).data;
      if (data?.message) this.showError(data.message);
    });
    this.socket.on('room:left', ({ reason }) => {
      this.leaveMatch();
      this.showError(`You left the game: ${reason}`);
    });
    this.socket.on('lobby:rooms', (rooms) => this.renderRooms(rooms));
    this.socket.on('queue:matched', (res) => {
      show(byId('searching'), false);
      if (!res.held) return this.enterMatch(res);
      // Paired with a player on another node: our seat is held there; go and take it.
      if (res.code && res.token) localStorage.setItem(seatKey(res.code), res.token);
      if (res.code) this.follow({ by: 'code', code: res.code }, undefined, res.node ?? null);
    });
    this.socket.on('queue:left', ({ reason }) => {
      show(byId('searching'), false);
      this.banner(reason);
    });
    this.socket.on('server:restarting', () => {
      this.restarting = true;
      this.banner('The server is restarting; you will be reconnected.');
    });
    this.socket.on('server:error', (e) => console.warn('server error', e.code, e.message));
    this.socket.on('match:result', (result) => {
      if (!this.session) return;
      this.result = result;
      this.renderResult();
    });
  }

  /**
   * The server knows this player id with another secret (storage copied from another browser, or
   * a profile claimed before): this browser becomes a new player, and connects again as it.
   */
  private renewProfile(): void {
    this.credentialRenewals += 1;
    this.credentials = renewCredentials(localStorage);
    this.socket.auth = handshakeAuth(this.credentials);
    this.renderProfileLinks();
    // A handshake refused by the server is not retried by socket.io: connect again by hand.
    this.socket.connect();
  }

  private renderProfileLinks(): void {
    byId<HTMLAnchorElement>('leaderboard-link').href = leaderboardHref(location.search);
    byId<HTMLAnchorElement>('my-profile-link').href = playerHref(this.credentials.playerId, location.search);
  }

  /** After a match: the own seat's rating change (players) and the replay link (everyone). */
  private renderResult(): void {
    const r = this.result;
    const role = this.session?.role;
    const seat = role === 'left' ? 0 : role === 'right' ? 1 : null;
    const mine = r && seat !== null ? r.ratings[seat] : null;
    show(byId('rating-result'), mine !== null);
    if (mine) {
      const change = byId('rating-change');
      setText(change, formatDelta(mine.delta));
      change.dataset.sign = mine.delta > 0 ? 'up' : mine.delta < 0 ? 'down' : 'none';
      setText(byId('new-rating'), String(Math.round(mine.rating)));
    }
    if (r) byId<HTMLAnchorElement>('replay-link').href = replayHref(r.matchId, location.search);
    show(byId('match-result'), r !== null && this.lastPhase === 'finished');
  }

  /**
   * The connection indicator and the field's notice: `online` only while the socket is connected
   * and, in a room, snapshots are arriving.
   */
  private renderConnection(): void {
    const state = this.connectionState();
    setText(this.connection, CONNECTION_TEXT[state]);
    // The state by name, for styling: `stalled` is a connection still open but silent.
    this.connection.dataset.state = state;
    const notice = byId('field-notice');
    const lost = this.session !== null && state !== 'online';
    setText(notice, lost ? 'Connection lost: reconnecting…' : '');
    show(notice, lost);
  }

  private connectionState(): ConnectionState {
    if (!this.socket.connected) return this.socket.active ? 'reconnecting' : 'offline';
    return this.session?.link.state(performance.now()) === 'stalled' ? 'stalled' : 'online';
  }

  /** While in a room: notices a silent link, and gives up on it after LINK_RECONNECT_MS. */
  private checkLiveness(): void {
    const s = this.session;
    if (s && this.socket.connected && s.link.takeReconnect(performance.now())) reconnectNow(this.socket);
    this.renderConnection();
  }

  private nick(input: HTMLInputElement): string | undefined {
    const n = input.value.trim();
    if (n) localStorage.setItem(NICKNAME_KEY, n);
    return n || undefined;
  }

  /** The invite link's page: a name, then one click to take the seat (or watch, if both are taken). */
  private showInvite(code: string): void {
    this.invitedTo = code;
    show(byId('lobby'), false);
    show(byId('game'), false);
    show(byId('error-view'), false);
    show(byId('invite-view'), true);
    show(byId('invite-form'), true);
    setText(byId('invite-title'), "You're invited to a Pong match");
    // Typed while the page loaded? Keep it; otherwise the name from the last visit.
    if (!this.inviteNickname.value) this.inviteNickname.value = localStorage.getItem(NICKNAME_KEY) ?? '';
    const join = byId<HTMLButtonElement>('join-invite');
    join.disabled = false;
    setText(join, 'Take my seat');
    this.inviteNickname.focus();
  }

  private acceptInvite(): void {
    const code = this.invitedTo;
    if (!code) return;
    this.invitedTo = null;
    const nickname = this.nick(this.inviteNickname);
    if (nickname) this.nickname.value = nickname;
    byId<HTMLButtonElement>('join-invite').disabled = true;
    this.enter({ by: 'code', code }, nickname);
  }

  private createPrivate(): void {
    this.socket.emit('room:create', { nickname: this.nick(this.nickname) }, (res: JoinResult) =>
      res.ok ? this.enterMatch(res) : this.onJoined(res, { by: 'code', code: '' }, undefined),
    );
  }

  private quickMatch(): void {
    this.socket.emit('queue:join', { nickname: this.nick(this.nickname) }, (res) => {
      if (!res.ok) return this.banner(res.message);
      // Another node may pair us before our own node answers: the search is already over then.
      if (!this.session && !this.pending) show(byId('searching'), true);
    });
  }

  private cancelSearch(): void {
    this.socket.emit('queue:leave', () => show(byId('searching'), false));
  }

  private practice(): void {
    const level = byId<HTMLSelectElement>('practice-level').value as ComputerLevel;
    this.socket.emit('practice:create', { nickname: this.nick(this.nickname), level }, (res: JoinResult) =>
      res.ok ? this.enterMatch(res) : this.onJoined(res, { by: 'code', code: '' }, undefined),
    );
  }

  private watch(id: string, play: boolean): void {
    this.enter({ by: 'id', id, play });
  }

  private enter(entry: Entry, nickname = this.nick(this.nickname)): void {
    show(byId('lobby'), false);
    const answered = (res: JoinResult) => this.onJoined(res, entry, nickname);
    if (entry.by === 'id') {
      this.socket.emit('room:watch', { id: entry.id, nickname, play: entry.play === true }, answered);
      return;
    }
    const token = localStorage.getItem(seatKey(entry.code)) ?? undefined;
    this.socket.emit('room:join', { code: entry.code, nickname, token }, answered);
  }

  /**
   * The room runs on another node (or is being resumed after one died): reconnect to that node and
   * join there, or ask again shortly when no node is named or we are already asking that node.
   */
  private follow(entry: Entry, nickname: string | undefined, node: string | null): void {
    const attempts = (this.pending?.attempts ?? 0) + 1;
    if (attempts > ELSEWHERE_RETRY_LIMIT) {
      this.pending = null;
      return this.showError('This game could not be reached; try again from the lobby.');
    }
    this.pending = { entry, nickname, attempts };
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    this.pendingTimer = null;
    if (node && node !== nodeOf(this.socket)) return moveToNode(this.socket, node);
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = null;
      if (this.socket.connected) this.enter(entry, nickname);
    }, ELSEWHERE_RETRY_MS);
  }

  private onJoined(res: JoinResult, entry: Entry, nickname: string | undefined): void {
    if (!res.ok && res.error === 'ROOM_ELSEWHERE') return this.follow(entry, nickname, res.node ?? null);
    this.pending = null;
    if (!res.ok) {
      this.leaveMatch();
      return this.showError(res.message);
    }
    this.enterMatch(res);
  }

  private enterMatch(res: JoinOk): void {
    // From now on a reconnect comes back to the room's node (the balancer routes on ?node=).
    if (res.node && res.node !== nodeOf(this.socket)) this.socket.io.opts.query = { node: res.node };
    this.session?.dispose();
    this.unsubscribeLobby();
    this.result = null;
    this.lastPhase = null;
    this.entry = res.code ? { by: 'code', code: res.code } : { by: 'id', id: res.room.id };
    const path = res.code ? `/r/${res.code}` : `/w/${res.room.id}`;
    // Keep the query (?renderer=…, ?transport=…): a reload must come back the same way.
    if (location.pathname !== path) history.pushState(null, '', path + location.search);
    if (res.code && res.token) localStorage.setItem(seatKey(res.code), res.token);
    const link = res.code && res.room.kind === 'private' ? `${location.origin}/r/${res.code}` : '';
    const a = byId<HTMLAnchorElement>('invite-link');
    a.href = link;
    setText(a, link);
    this.session = new MatchSession(this.socket, res, () => performance.now());
    this.session.startPinging();
    this.livenessTimer ??= setInterval(() => this.checkLiveness(), LIVENESS_CHECK_MS);
    this.renderConnection();
    show(byId('lobby'), false);
    show(byId('invite-view'), false);
    show(byId('error-view'), false);
    show(byId('game'), true);
    if (!this.game) this.game = startGame(byId('field'), (now) => this.frame(now), this.opts.canvasRenderer);
  }

  /** Called by the scene every animation frame: advances prediction and refreshes the HUD. */
  private frame(_phaserTime: number): FieldFrame {
    const s = this.session;
    const mid = FIELD_HEIGHT_PX / 2;
    if (!s) return { ball: null, paddles: [mid, mid], ownSeat: null };
    const v = s.frame(performance.now(), this.controls.intent());
    if (!v) return { ball: null, paddles: [mid, mid], ownSeat: null };
    this.hud.render(v);
    this.trackPhase(v.phase);
    const ownSeat = v.role === 'left' ? 0 : v.role === 'right' ? 1 : null;
    const ballShown = v.phase === 'playing' || v.phase === 'paused' || v.phase === 'countdown';
    return { ball: ballShown ? v.ball : null, paddles: v.paddles, ownSeat };
  }

  /**
   * The result is shown once the view itself reaches the finished match (it may arrive before the
   * interpolated view gets there), and goes away when a rematch starts.
   */
  private trackPhase(phase: RoomPhase): void {
    if (phase === this.lastPhase) return;
    if (this.lastPhase === 'finished') this.result = null;
    this.lastPhase = phase;
    this.renderResult();
  }

  private backToLobby(): void {
    if (this.session) this.socket.emit('room:leave', () => undefined);
    this.leaveMatch();
    history.pushState(null, '', '/' + location.search);
    this.showLobby();
  }

  private leaveMatch(): void {
    this.session?.dispose();
    this.session = null;
    this.result = null;
    this.lastPhase = null;
    this.renderResult();
    this.entry = null;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.livenessTimer = null;
    this.renderConnection();
  }

  private subscribeLobby(): void {
    this.socket.emit('lobby:subscribe', (rooms: RoomListing[]) => this.renderRooms(rooms));
  }

  private unsubscribeLobby(): void {
    if (!this.inLobby) return;
    this.inLobby = false;
    this.socket.emit('lobby:unsubscribe');
  }

  private renderRooms(rooms: RoomListing[]): void {
    if (!this.inLobby) return;
    renderRoomList(
      rooms,
      (id) => this.watch(id, false),
      (id) => this.watch(id, true),
    );
  }

  private showLobby(): void {
    if (this.session) this.backToLobby();
    show(byId('lobby'), true);
    show(byId('game'), false);
    show(byId('error-view'), false);
    show(byId('invite-view'), false);
    if (!this.inLobby) {
      this.inLobby = true;
      this.subscribeLobby();
    }
  }

  private showError(message: string): void {
    this.unsubscribeLobby();
    setText(byId('error'), message);
    show(byId('error-view'), true);
    show(byId('lobby'), false);
    show(byId('invite-view'), false);
    show(byId('game'), false);
  }

  private banner(text: string): void {
    const b = byId('banner');
    setText(b, text);
    show(b, true);
  }
}
