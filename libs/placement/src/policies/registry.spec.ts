import { PlacementInputError } from '../errors';
import { DEFAULT_POLICY, policyByName, policyNames } from './registry';

describe('policy registry', () => {
  it('knows bestfit, fgd and switchyard (the default), each under its own name', () => {
    expect(policyNames()).toEqual(expect.arrayContaining(['bestfit', 'fgd', 'switchyard']));
    expect(DEFAULT_POLICY).toBe('switchyard');
    for (const n of policyNames()) expect(policyByName(n).name).toBe(n);
    expect(policyByName('fgd')).toBe(policyByName('fgd'));
  });
  it('refuses an unknown name with a typed error', () => {
    expect(() => policyByName('random')).toThrow(PlacementInputError);
  });
});
