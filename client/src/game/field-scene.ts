import Phaser from 'phaser';
import {
  BALL_SIZE_PX,
  FIELD_HEIGHT_PX,
  FIELD_WIDTH_PX,
  PADDLE_HEIGHT_PX,
  PADDLE_INSET_PX,
  PADDLE_WIDTH_PX,
} from '../../../shared/constants.ts';

/** What the scene needs each frame; it holds no rules and no networking. */
export interface FieldFrame {
  ball: { x: number; y: number } | null;
  paddles: [number, number];
  /** Seat to highlight as "you", or null for spectators. */
  ownSeat: 0 | 1 | null;
}

export const FIELD_SCENE_KEY = 'field';

/** Draws the field from whatever frame the provider returns: it only draws. */
export class FieldScene extends Phaser.Scene {
  private ball!: Phaser.GameObjects.Rectangle;
  private paddles!: [Phaser.GameObjects.Rectangle, Phaser.GameObjects.Rectangle];

  constructor(private readonly frameAt: (nowMs: number) => FieldFrame) {
    super(FIELD_SCENE_KEY);
  }

  create(): void {
    const g = this.add.graphics();
    g.fillStyle(0x2a3550, 1);
    for (let y = 8; y < FIELD_HEIGHT_PX; y += 28) g.fillRect(FIELD_WIDTH_PX / 2 - 2, y, 4, 14);
    const x0 = PADDLE_INSET_PX + PADDLE_WIDTH_PX / 2;
    const x1 = FIELD_WIDTH_PX - x0;
    this.paddles = [
      this.add.rectangle(x0, FIELD_HEIGHT_PX / 2, PADDLE_WIDTH_PX, PADDLE_HEIGHT_PX, 0xe8ecf4),
      this.add.rectangle(x1, FIELD_HEIGHT_PX / 2, PADDLE_WIDTH_PX, PADDLE_HEIGHT_PX, 0xe8ecf4),
    ];
    this.ball = this.add.rectangle(
      FIELD_WIDTH_PX / 2,
      FIELD_HEIGHT_PX / 2,
      BALL_SIZE_PX,
      BALL_SIZE_PX,
      0xffd166,
    );
  }

  override update(time: number): void {
    const f = this.frameAt(time);
    this.paddles[0].y = f.paddles[0];
    this.paddles[1].y = f.paddles[1];
    this.paddles[0].fillColor = f.ownSeat === 0 ? 0x7bdff2 : 0xe8ecf4;
    this.paddles[1].fillColor = f.ownSeat === 1 ? 0x7bdff2 : 0xe8ecf4;
    this.ball.visible = f.ball !== null;
    if (f.ball) this.ball.setPosition(f.ball.x, f.ball.y);
  }
}
