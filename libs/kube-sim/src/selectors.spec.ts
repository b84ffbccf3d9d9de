import fc from 'fast-check';
import { KubeApiError } from './api-error';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type LabelRequirement,
} from './selectors';

const key = fc.constantFrom('app', 'tier', 'switchyard.io/rack', 'nvidia.com/gpu.product');
const value = fc.constantFrom('a', 'b', 'gold', 'NVIDIA-H200');
const labels = fc.dictionary(key, value, { maxKeys: 4 });
const requirement: fc.Arbitrary<LabelRequirement> = fc.oneof(
  fc.record({ key, op: fc.constantFrom('eq' as const, 'neq' as const), value }),
  fc.record({
    key,
    op: fc.constantFrom('in' as const, 'notin' as const),
    values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ key, op: fc.constantFrom('exists' as const, 'notexists' as const) }),
);

function format(r: LabelRequirement): string {
  switch (r.op) {
    case 'eq':
      return `${r.key}=${r.value}`;
    case 'neq':
      return `${r.key}!=${r.value}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.op} (${r.values.join(', ')})`;
    case 'exists':
      return r.key;
    case 'notexists':
      return `!${r.key}`;
  }
}

/** The apiserver's meaning of each operator, written independently of the implementation. */
function reference(r: LabelRequirement, l: Record<string, string>): boolean {
  const has = r.key in l;
  if (r.op === 'eq') return l[r.key] === r.value;
  if (r.op === 'neq') return !has || l[r.key] !== r.value;
  if (r.op === 'in') return has && r.values.includes(l[r.key]);
  if (r.op === 'notin') return !has || !r.values.includes(l[r.key]);
  return r.op === 'exists' ? has : !has;
}

describe('label selectors', () => {
  it('parse back what is formatted and match as the apiserver does, for any conjunction', () => {
    fc.assert(
      fc.property(fc.array(requirement, { minLength: 1, maxLength: 4 }), labels, (requirements, l) => {
        const parsed = parseLabelSelector(requirements.map(format).join(','));
        expect(parsed).toEqual(requirements);
        expect(matchesLabels(parsed, l)).toBe(requirements.every((r) => reference(r, l)));
      }),
    );
  });

  it.each(['a in b', 'a=(b', '=x', 'a b'])('rejects %p with a 400', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(KubeApiError);
  });
});

describe('field selectors', () => {
  const pod = {
    metadata: { name: 'p', namespace: 'ns' },
    spec: { nodeName: 'gpu-1', schedulerName: 'switchyard' },
    status: { phase: 'Running' },
  };
  it.each([
    ['spec.nodeName=gpu-1', true],
    ['spec.nodeName==gpu-2', false],
    ['status.phase!=Succeeded,status.phase!=Failed', true],
    ['spec.schedulerName=switchyard,metadata.namespace=ns', true],
    ['spec.priorityClassName=', true],
  ])('%s matches: %p', (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector), pod)).toBe(expected);
  });
});
