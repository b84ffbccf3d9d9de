/**
 * NvidiaSmiActuator against a fake `nvidia-smi` first on PATH: a real child process, so the
 * command lines, the output parsing, exit codes and the timeout are what a node would see.
 */
import { NvidiaSmiActuator, NvidiaSmiError, parsePowerQuery } from '@switchyard/node-agent';
import { FakeNvidiaSmi } from './fixtures/fake-nvidia-smi';

let fake: FakeNvidiaSmi;
/** The fake's environment, PATH first; each test may add to it. */
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  fake = new FakeNvidiaSmi([
    { index: 0, limit: 700, default: 700, min: 200, max: 700 },
    { index: 1, limit: 450, default: 700, min: 200, max: 700 },
    { index: 2, limit: 0, default: 0, min: 0, max: 0, managed: false },
  ]);
  env = fake.env();
});

afterEach(() => fake.remove());

describe('NvidiaSmiActuator', () => {
  it('reads the limits with one query, leaving out GPUs without power management', async () => {
    expect(await new NvidiaSmiActuator({ env }).readGpus()).toEqual([
      { index: 0, limitWatts: 700, defaultWatts: 700, minWatts: 200, maxWatts: 700 },
      { index: 1, limitWatts: 450, defaultWatts: 700, minWatts: 200, maxWatts: 700 },
    ]);
    expect(fake.calls()).toEqual([
      '--query-gpu=index,power.limit,power.default_limit,power.min_limit,power.max_limit --format=csv,noheader,nounits',
    ]);
  });

  it('sets a limit with -i <index> -pl <watts>', async () => {
    await new NvidiaSmiActuator({ env }).setLimit(1, 300);
    expect(fake.setCalls()).toEqual(['-i 1 -pl 300']);
    expect(fake.limit(1)).toBe(300);
  });

  it("fails with nvidia-smi's own message when the driver refuses", async () => {
    const actuator = new NvidiaSmiActuator({ env });
    await expect(actuator.setLimit(0, 900)).rejects.toThrow(
      /nvidia-smi -i 0 -pl 900: exit 2: Provided power limit 900\.00 W is not a valid power limit/,
    );
    env.FAKE_NVIDIA_SMI_REFUSE = '1';
    await expect(actuator.setLimit(1, 300)).rejects.toThrow(/exit 4: Insufficient Permissions/);
    expect(fake.limit(0)).toBe(700);
  });

  it('gives up on a hung nvidia-smi after its timeout', async () => {
    env.FAKE_NVIDIA_SMI_HANG = '1';
    const error = await new NvidiaSmiActuator({ timeoutMs: 300, env }).readGpus().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NvidiaSmiError);
    expect((error as Error).message).toMatch(/no answer within 300 ms/);
  });

  it('says so when there is no nvidia-smi', async () => {
    await expect(new NvidiaSmiActuator({ command: 'nvidia-smi-that-is-not-there', env }).readGpus()).rejects.toThrow(
      'nvidia-smi-that-is-not-there: not found (is the NVIDIA driver mounted?)',
    );
  });
});

describe('parsePowerQuery', () => {
  it('reads decimals and spacing as nvidia-smi prints them', () => {
    expect(parsePowerQuery('0, 700.00, 700.00, 200.00, 700.00\n3,350.5,400.00,100.00,400.00\n\n')).toEqual([
      { index: 0, limitWatts: 700, defaultWatts: 700, minWatts: 200, maxWatts: 700 },
      { index: 3, limitWatts: 350.5, defaultWatts: 400, minWatts: 100, maxWatts: 400 },
    ]);
  });

  it.each([
    ['too few fields', '0, 700.00, 700.00'],
    ['no index', 'GPU0, 700, 700, 200, 700'],
    ['a word for a number', '0, lots, 700, 200, 700'],
    ['a zero limit', '0, 0, 700, 200, 700'],
  ])('refuses %s instead of guessing', (_what, line) => {
    expect(() => parsePowerQuery(line)).toThrow(NvidiaSmiError);
  });
});
