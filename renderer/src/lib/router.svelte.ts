/**
 * The current route as reactive state, kept in step with `location.hash`.
 */
import { parseRoute, routeHash, type Route } from './routes';

/** The screen the app shows; read `router.route` inside components or effects. */
export const router = $state<{ route: Route }>({ route: parseRoute(window.location.hash) });

window.addEventListener('hashchange', () => {
  router.route = parseRoute(window.location.hash);
});

/** Navigates to `route`, adding a history entry so Back returns. */
export function navigate(route: Route): void {
  window.location.hash = routeHash(route);
}
