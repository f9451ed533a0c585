import { styleText } from 'node:util';

export type Color = 'green' | 'yellow' | 'red' | 'cyan' | 'gray' | 'bold' | 'dim';

export interface Styler {
  (color: Color, text: string): string;
  enabled: boolean;
}

/** Colour only when asked (a TTY without NO_COLOR); the caller decides, not this module. */
export function styler(enabled: boolean): Styler {
  const fn = ((color: Color, text: string) => (enabled ? styleText(color, text, { validateStream: false }) : text)) as Styler;
  fn.enabled = enabled;
  return fn;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
export const visibleLength = (s: string) => s.replace(ANSI, '').length;
