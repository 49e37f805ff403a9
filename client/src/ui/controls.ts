import type { Intent } from '../../../shared/sim/types.ts';

const UP_KEYS = new Set(['KeyW', 'ArrowUp']);
const DOWN_KEYS = new Set(['KeyS', 'ArrowDown']);

/** Keyboard (W/S, arrows) and touch (top or bottom half of the field) turned into one intent. */
export class Controls {
  private up = false;
  private down = false;
  private touch: Intent = 0;

  constructor(field: HTMLElement) {
    window.addEventListener('keydown', (e) => this.key(e, true));
    window.addEventListener('keyup', (e) => this.key(e, false));
    window.addEventListener('blur', () => {
      this.up = this.down = false;
      this.touch = 0;
    });
    const onPointer = (e: PointerEvent) => {
      if (e.pointerType === 'mouse' && e.buttons === 0) return;
      const r = field.getBoundingClientRect();
      this.touch = e.clientY < r.top + r.height / 2 ? -1 : 1;
    };
    field.addEventListener('pointerdown', onPointer);
    field.addEventListener('pointermove', onPointer);
    for (const ev of ['pointerup', 'pointercancel', 'pointerleave'] as const) {
      field.addEventListener(ev, () => (this.touch = 0));
    }
  }

  private key(e: KeyboardEvent, pressed: boolean): void {
    if (e.target instanceof HTMLInputElement) return;
    if (UP_KEYS.has(e.code)) this.up = pressed;
    else if (DOWN_KEYS.has(e.code)) this.down = pressed;
    else return;
    e.preventDefault();
  }

  intent(): Intent {
    if (this.up !== this.down) return this.up ? -1 : 1;
    return this.touch;
  }
}
