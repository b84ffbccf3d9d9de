import { allocationConflicts, type HeldNode, type NodeTarget } from './allocation-guard';

const RACK = 'dc/hall-a/row-a01/rack-a01-01';
const gpu = (index: number, allocatedMilli: number, product = 'H200', memoryMiB = 143_771) => ({
  uuid: `GPU-${index}`,
  index,
  product,
  memoryMiB,
  allocatedMilli,
});
const held: HeldNode = { name: 'n1', rackPath: RACK, allocations: 1, gpus: [gpu(0, 0), gpu(1, 500)] };
const same: NodeTarget = { rackPath: RACK, gpus: held.gpus };
const target = (changes: Partial<NodeTarget>): NodeTarget => ({ ...same, ...changes });

describe('allocationConflicts', () => {
  it.each<[string, HeldNode, NodeTarget | null, string[]]>([
    ['nothing changes', held, same, []],
    ['anything changes on a node without allocations', { ...held, allocations: 0, gpus: [] }, null, []],
    ['a free GPU is removed or re-typed', held, target({ gpus: [gpu(1, 0)] }), []],
    ['an allocated GPU gains memory', held, target({ gpus: [gpu(0, 0), gpu(1, 0, 'H200', 200_000)] }), []],
    ['the node is removed', held, null, ['node: it holds 1 allocation(s) and cannot be removed']],
    [
      'the node moves',
      held,
      target({ rackPath: 'dc/hall-b/row-b01/rack-b01-01' }),
      ['rack: it holds 1 allocation(s) and cannot move to rack dc/hall-b/row-b01/rack-b01-01'],
    ],
    [
      'an allocated GPU goes',
      held,
      target({ gpus: [gpu(0, 0)] }),
      ['gpus: GPUs 1 are allocated and cannot be removed'],
    ],
    [
      'an allocated GPU changes product',
      held,
      target({ gpus: [gpu(0, 0, 'L40S'), gpu(1, 0, 'L40S')] }),
      ['gpus: GPUs 1 are allocated and cannot change product (to L40S)'],
    ],
    [
      'an allocated GPU loses memory',
      held,
      target({ gpus: [gpu(0, 0), gpu(1, 0, 'H200', 81_920)] }),
      ['gpus: GPUs 1 are allocated and cannot lose memory (to 81920 MiB)'],
    ],
  ])('%s', (_name, node, next, expected) => {
    expect(allocationConflicts(node, next).map((c) => `${c.part}: ${c.message}`)).toEqual(expected);
  });
});
