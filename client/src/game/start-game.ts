import Phaser from 'phaser';
import { FIELD_HEIGHT_PX, FIELD_WIDTH_PX } from '../../../shared/constants.ts';
import { FieldScene, type FieldFrame } from './field-scene.ts';

/**
 * Starts Phaser in `parent`. `canvas` forces the Canvas renderer (headless browsers only have a
 * software WebGL that burns CPU).
 */
export function startGame(
  parent: HTMLElement,
  frameAt: (nowMs: number) => FieldFrame,
  canvas: boolean,
): Phaser.Game {
  return new Phaser.Game({
    type: canvas ? Phaser.CANVAS : Phaser.AUTO,
    parent,
    backgroundColor: '#0b1020',
    scale: {
      mode: Phaser.Scale.FIT,
      autoCenter: Phaser.Scale.CENTER_BOTH,
      width: FIELD_WIDTH_PX,
      height: FIELD_HEIGHT_PX,
    },
    banner: false,
    audio: { noAudio: true },
    scene: [new FieldScene(frameAt)],
  });
}
