import type Phaser from 'phaser';
import { FIELD_HEIGHT_PX } from '../../shared/constants.ts';
import type { JoinOk, JoinResult } from '../../shared/protocol/messages.ts';
import { startGame } from './game/start-game.ts';
import type { FieldFrame } from './game/field-scene.ts';
import { connect, type GameSocket } from './net/connection.ts';
import { MatchSession } from './net/match-session.ts';
import { Controls } from './ui/controls.ts';
import { byId, setText, show } from './ui/dom.ts';
import { Hud } from './ui/hud.ts';

const NICKNAME_KEY = 'pong.nickname';
const seatKey = (code: string) => `pong.seat.${code}`;
const INVITE_PATH = /^\/r\/([A-Za-z0-9_-]+)\/?$/;

export interface AppOptions {
  canvasRenderer: boolean;
  transport: 'websocket' | 'polling' | 'auto';
}

/** The page: lobby, invite flow and match screen. Owns the socket and the current MatchSession. */
export class App {
  private readonly socket: GameSocket;
  private session: MatchSession | null = null;
  private code: string | null = null;
  private game: Phaser.Game | null = null;
  private readonly hud = new Hud();
  private readonly controls: Controls;
  private readonly nickname = byId<HTMLInputElement>('nickname');

  constructor(private readonly opts: AppOptions) {
    this.socket = connect(location.origin, { transport: opts.transport });
    this.controls = new Controls(byId('field'));
    this.nickname.value = localStorage.getItem(NICKNAME_KEY) ?? '';
    this.nickname.addEventListener('change', () => localStorage.setItem(NICKNAME_KEY, this.nickname.value.trim()));
    byId('create-private').addEventListener('click', () => this.createPrivate());
    byId('copy-invite').addEventListener('click', () => {
      void navigator.clipboard?.writeText(byId('invite-link').textContent ?? '');
    });
    this.wireConnection();
  }

  start(): void {
    const match = INVITE_PATH.exec(location.pathname);
    if (match) {
      show(byId('lobby'), false);
      this.joinRoom(match[1] as string);
    } else this.showLobby();
  }

  private wireConnection(): void {
    const conn = byId('connection');
    this.socket.on('connect', () => {
      setText(conn, 'online');
      // socket.io reconnected by itself: take the seat back with its token.
      if (this.code && this.session) this.joinRoom(this.code);
    });
    this.socket.on('disconnect', () => setText(conn, 'reconnecting'));
    this.socket.io.on('reconnect_attempt', () => setText(conn, 'reconnecting'));
    this.socket.on('connect_error', (err) => {
      setText(conn, this.socket.active ? 'reconnecting' : 'offline');
      const data = (err as Error & { data?: { message?: string } }).data;
      if (data?.message) this.showError(data.message);
    });
    this.socket.on('room:left', ({ reason }) => {
      this.leaveMatch();
      this.showError(`You left the game: ${reason}`);
    });
    this.socket.on('server:restarting', () => this.banner('The server is restarting; you will be reconnected.'));
    this.socket.on('server:error', (e) => console.warn('server error', e.code, e.message));
  }

  private nick(): string | undefined {
    const n = this.nickname.value.trim();
    if (n) localStorage.setItem(NICKNAME_KEY, n);
    return n || undefined;
  }

  private createPrivate(): void {
    this.socket.emit('room:create', { nickname: this.nick() }, (res: JoinResult) => {
      if (!res.ok) return this.showError(res.message);
      history.pushState(null, '', `/r/${res.code}`);
      this.enterMatch(res);
    });
  }

  private joinRoom(code: string): void {
    const token = localStorage.getItem(seatKey(code)) ?? undefined;
    this.socket.emit('room:join', { code, nickname: this.nick(), token }, (res: JoinResult) => {
      if (!res.ok) {
        this.leaveMatch();
        return this.showError(res.message);
      }
      this.enterMatch(res);
    });
  }

  private enterMatch(res: JoinOk): void {
    this.session?.dispose();
    this.code = res.code;
    if (res.token) localStorage.setItem(seatKey(res.code), res.token);
    const link = `${location.origin}/r/${res.code}`;
    const a = byId<HTMLAnchorElement>('invite-link');
    a.href = link;
    setText(a, link);
    this.session = new MatchSession(this.socket, res, () => performance.now());
    this.session.startPinging();
    show(byId('lobby'), false);
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
    const ownSeat = v.role === 'left' ? 0 : v.role === 'right' ? 1 : null;
    const ballShown = v.phase === 'playing' || v.phase === 'paused' || v.phase === 'countdown';
    return { ball: ballShown ? v.ball : null, paddles: v.paddles, ownSeat };
  }

  private leaveMatch(): void {
    this.session?.dispose();
    this.session = null;
    this.code = null;
  }

  private showLobby(): void {
    show(byId('lobby'), true);
    show(byId('game'), false);
    show(byId('error-view'), false);
  }

  private showError(message: string): void {
    setText(byId('error'), message);
    show(byId('error-view'), true);
    show(byId('lobby'), false);
    show(byId('game'), false);
  }

  private banner(text: string): void {
    const b = byId('banner');
    setText(b, text);
    show(b, true);
  }
}
