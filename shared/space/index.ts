/**
 * Search spaces: types, validation, candidate values, seeded sampling,
 * refinement around the best trials, and ranking. Pure TypeScript, so the
 * main process, the CLI and the renderer share it.
 */
export * from './types';
export * from './random';
export * from './validate';
export * from './values';
export * from './sample';
export * from './refine';
export * from './rank';
