import { InventoryError } from '@switchyard/inventory';
import { ProblemError } from './problem-error';
import { type ErrorTranslator } from './problem-response';

/** The inventory's typed errors name their problem kind; a known field becomes a field problem. */
export const inventoryProblem: ErrorTranslator = (error) => {
  if (!(error instanceof InventoryError)) return undefined;
  const location = error.problem === 'invalid-parameters' ? 'query' : 'body';
  const errors = (error.problems ?? (error.field ? [{ path: error.field, message: error.message }] : undefined))?.map(
    (p) => ({ ...p, in: location }) as const,
  );
  const detail =
    error.field && !error.message.includes(error.field) ? `${error.field}: ${error.message}` : error.message;
  return new ProblemError(error.problem, detail, errors);
};
