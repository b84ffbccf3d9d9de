import { shapeMessage, shapeProblems } from './shape-problems';
import { topologyDocumentSchema, type TopologyDocument } from './topology.schema';
import { TopologyValidationError, type TopologyProblem } from './topology-problem';
import { topologyRuleProblems } from './topology-rules';

/**
 * Every problem of a would-be topology document (shape and cross-references), in one
 * pass; empty when the document is valid.
 */
export function topologyProblems(value: unknown): TopologyProblem[] {
  return checkTopology(value).problems;
}

/**
 * Validates an already-parsed document (e.g. a JSON request body) and returns it with
 * defaults applied; throws `TopologyValidationError` listing every problem otherwise.
 */
export function validateTopology(value: unknown): TopologyDocument {
  const { document, problems } = checkTopology(value);
  if (!document) throw new TopologyValidationError(problems);
  return document;
}

function checkTopology(value: unknown): { document?: TopologyDocument; problems: TopologyProblem[] } {
  if (value === undefined || value === null) {
    return {
      problems: [
        {
          path: '(document)',
          message: 'is empty: expected a Topology document (apiVersion, kind, site, gpuProducts, halls, nodes)',
        },
      ],
    };
  }
  const shape = topologyDocumentSchema.safeParse(value, { error: shapeMessage });
  const problems = shape.success ? [] : shapeProblems(shape.error.issues, value);
  const seen = new Set(problems.map((p) => `${p.path}\u0000${p.message}`));
  for (const problem of topologyRuleProblems(value)) {
    const key = `${problem.path}\u0000${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  if (problems.length > 0 || !shape.success) return { problems };
  return { document: shape.data, problems };
}
