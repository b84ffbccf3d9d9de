import type { Request } from 'express';

/** The parts of Express 5's router (the `router` package) read here. */
interface RouterLayer {
  route?: { methods?: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * The methods the app's routes answer on this request's path (HEAD wherever GET is), upper case
 * and sorted; empty when no route has the path. Read from the Express router itself, so it is
 * whatever Nest registered: no second list of routes to keep in step.
 */
export function allowedMethods(request: Request): string[] {
  const stack = (request.app as { router?: { stack?: unknown } } | undefined)?.router?.stack;
  if (!Array.isArray(stack)) return [];
  const path = request.path;
  const methods = new Set<string>();
  for (const layer of stack as RouterLayer[]) {
    if (!layer.route?.methods || typeof layer.match !== 'function' || !layer.match(path)) continue;
    for (const [method, handled] of Object.entries(layer.route.methods)) {
      if (!handled || method === '_all') continue;
      methods.add(method.toUpperCase());
      if (method === 'get') methods.add('HEAD');
    }
  }
  return [...methods].sort();
}
