/** One thing wrong with a topology document, located by a path such as `halls[1].rows[3].racks[0].capacityWatts`. */
export interface TopologyProblem {
  readonly path: string;
  readonly message: string;
}

/** Shown in messages and kept in `problems`; the whole list is always in `problems`. */
const MESSAGE_PROBLEM_LIMIT = 50;

/** A topology document was rejected; `problems` lists every problem found, not only the first. */
export class TopologyValidationError extends Error {
  override readonly name = 'TopologyValidationError';

  constructor(readonly problems: readonly TopologyProblem[]) {
    super(describeProblems(problems));
  }
}

/** `path: message`, the one-line form used in messages, logs and the CLI. */
export function formatTopologyProblem(problem: TopologyProblem): string {
  return `${problem.path}: ${problem.message}`;
}

function describeProblems(problems: readonly TopologyProblem[]): string {
  const count = problems.length;
  const shown = problems.slice(0, MESSAGE_PROBLEM_LIMIT).map((p) => `  ${formatTopologyProblem(p)}`);
  const more = count > MESSAGE_PROBLEM_LIMIT ? [`  ... and ${count - MESSAGE_PROBLEM_LIMIT} more`] : [];
  return [`invalid topology: ${count} problem${count === 1 ? '' : 's'}`, ...shown, ...more].join('\n');
}

/** The path of the whole document, for problems that are not inside any field. */
export const TOPOLOGY_DOCUMENT_PATH = '(document)';

/** `['halls', 1, 'rows', 3]` -> `halls[1].rows[3]`; keys that are not identifiers are quoted: `labels["nvidia.com/x"]`. */
export function formatTopologyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment))
      out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out || TOPOLOGY_DOCUMENT_PATH;
}
