/**
 * Thanos' initialPenalty: the penalty given to the side not picked before any sample has been
 * emitted, in ms ("timestamps are in milliseconds and sampling frequencies typically multiple
 * seconds long").
 */
export const INITIAL_PENALTY_MS = 5000;
