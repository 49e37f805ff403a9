import { ALL_VARIANTS, isVariant, type Variant } from './messages.ts';

export const DEFAULT_VARIANTS: readonly Variant[] = ['ours', 'floor'];

/**
 * `--variants a,b,…`: known names, each once. `ours` and `floor` are always in: every CPU figure
 * is read against the floor of the same run, and the targets are ours.
 */
export function parseVariants(raw: string): Variant[] {
  const names = raw.split(',').map((n) => n.trim());
  const variants: Variant[] = [];
  for (const name of names) {
    if (!isVariant(name))
      throw new Error(`--variants: unknown "${name}" (known: ${ALL_VARIANTS.join(', ')})`);
    if (variants.includes(name)) throw new Error(`--variants: "${name}" twice`);
    variants.push(name);
  }
  for (const needed of DEFAULT_VARIANTS) {
    if (!variants.includes(needed)) throw new Error(`--variants: must include "${needed}"`);
  }
  return variants;
}

/**
 * The order variants run in within pass `pass` (1-based): the list rotated one more place each
 * pass, so no variant always runs first, right after a build or a cold machine, and drift over a
 * pass does not always fall on the same one.
 */
export function passOrder(variants: readonly Variant[], pass: number): Variant[] {
  const k = (pass - 1) % variants.length;
  return [...variants.slice(k), ...variants.slice(0, k)];
}
