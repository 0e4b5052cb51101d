/**
 * Analysis of studies: slice plots, parallel coordinates, coverage,
 * boundary warnings, comparison, Python snippets and CSV. Pure TypeScript,
 * so the main process computes these and the renderer reuses them (brushing,
 * the "top x %" filter) without a round trip. Importance needs a random
 * forest and is computed in the main process only.
 */
export * from './types';
export * from './objective';
export * from './slice';
export * from './parallel';
export * from './coverage';
export * from './boundary';
export * from './compare';
export * from './snippets';
export * from './csv';
