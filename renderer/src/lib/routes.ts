/**
 * Hash routes of the app: `#/studies`, `#/studies/12`, `#/studies/12/refine`,
 * `#/compare/3,5`, `#/datasets`, `#/new` and `#/experiments/2`. Hash routing
 * needs no server support, so the same build works from file:// in Electron
 * and from `/` in web mode.
 */

/** A screen and its parameters. */
export type Route =
  | { name: 'studies' }
  | { name: 'study'; id: number }
  | { name: 'refine'; id: number }
  /** The comparison of studies `ids`, in the order given; empty to pick studies first. */
  | { name: 'compare'; ids: number[] }
  | { name: 'datasets' }
  | { name: 'new' }
  /** The strategy experiment screen, showing experiment `id` (the newest when null). */
  | { name: 'experiments'; id: number | null }
  | { name: 'not-found'; path: string };

/** Parses a location hash such as "#/studies/12"; an empty hash is the studies list. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '');
  const parts = path.split('/').filter((part) => part !== '');

  if (parts.length === 0) {
    return { name: 'studies' };
  }

  const [section, idText, action] = parts;
  if (section === 'studies') {
    if (idText === undefined) {
      return { name: 'studies' };
    }

    const id = parseId(idText);
    if (id !== null && action === undefined) {
      return { name: 'study', id };
    }
    if (id !== null && action === 'refine' && parts.length === 3) {
      return { name: 'refine', id };
    }
  }

  if (section === 'compare' && parts.length <= 2) {
    const ids = parseIdList(idText ?? '');
    if (ids !== null) {
      return { name: 'compare', ids };
    }
  }

  if (section === 'experiments' && parts.length <= 2) {
    const id = idText === undefined ? null : parseId(idText);
    if (idText === undefined || id !== null) {
      return { name: 'experiments', id };
    }
  }

  if (parts.length === 1 && section === 'datasets') {
    return { name: 'datasets' };
  }
  if (parts.length === 1 && section === 'new') {
    return { name: 'new' };
  }

  return { name: 'not-found', path: `/${parts.join('/')}` };
}

/** Returns the hash that leads to `route`, such as "#/studies/12/refine". */
export function routeHash(route: Route): string {
  switch (route.name) {
    case 'studies':
      return '#/studies';
    case 'study':
      return `#/studies/${route.id}`;
    case 'refine':
      return `#/studies/${route.id}/refine`;
    case 'compare':
      return route.ids.length > 0 ? `#/compare/${route.ids.join(',')}` : '#/compare';
    case 'datasets':
      return '#/datasets';
    case 'new':
      return '#/new';
    case 'experiments':
      return route.id === null ? '#/experiments' : `#/experiments/${route.id}`;
    case 'not-found':
      return `#${route.path}`;
  }
}

function parseId(text: string): number | null {
  return /^[1-9][0-9]*$/.test(text) ? Number(text) : null;
}

/** Parses "3,5,8" into distinct ids in order; "" is the empty list, and anything else null. */
function parseIdList(text: string): number[] | null {
  if (text === '') {
    return [];
  }

  const ids: number[] = [];
  for (const part of text.split(',')) {
    const id = parseId(part);
    if (id === null) {
      return null;
    }
    if (!ids.includes(id)) {
      ids.push(id);
    }
  }
  return ids;
}
