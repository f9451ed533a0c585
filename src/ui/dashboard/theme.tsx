import { createContext, useContext } from 'react';
import type { Tone } from './columns.js';

// Colour for the whole dashboard is one decision (terminal, NO_COLOR, --no-color),
// made by the command and read here by every component; plain unless told.

export const ColorContext = createContext(false);

/** The tone when colour is on, undefined (plain text) otherwise. */
export function useTone(): (tone: Tone | undefined) => Tone | undefined {
  const on = useContext(ColorContext);
  return (tone) => (on ? tone : undefined);
}

export const useColor = (): boolean => useContext(ColorContext);
