/**
 * The inventory repositories against both backends (real PostgreSQL and embedded PGlite),
 * same test bodies, through the real Prisma client and the real migrations.
 */
import { generateTopology } from '@switchyard/contracts';
import {
  ConflictError,
  ConstraintViolationError,
  InvalidCursorError,
  Inventory,
  NotFoundError,
} from '@switchyard/inventory';
import { BACKENDS, type TestDatabase } from '../support/database';

const admin = { actor: 'test:admin' };
// A small data center: 1 hall x 2 rows x 2 racks x 2 nodes of 4 GPUs.
const topology = generateTopology('demo', {
  halls: 1,
  rowsPerHall: 2,
  racksPerRow: 2,
  nodesPerRack: 2,
  gpusPerNode: 4,
});

describe.each(BACKENDS)('inventory repositories on $kind', ({ open }) => {
  let db: TestDatabase;
  let inventory: Inventory;

  beforeAll(async () => {
    db = await open();
    inventory = new Inventory(db.database);
    await inventory.topology.import(topology, admin);
  });
  afterAll(() => db.dispose());

  describe('scopes', () => {
    it('returns the tree with capacity, budgets and GPU totals rolled up', async () => {
      const [site] = await inventory.scopes.tree();
      expect(site).toMatchObject({
        kind: 'site',
        name: topology.site.name,
        capacityWatts: topology.site.capacityWatts,
        nodes: 8,
        gpusTotal: 32,
        allocatedWatts: 0,
      });
      expect(site.children).toHaveLength(1);
      const hall = site.children[0];
      expect(hall.effectiveBudgetWatts).toBe(Math.floor(hall.capacityWatts * hall.oversubscriptionRatio));
      expect(hall.children.map((r) => r.kind)).toEqual(['row', 'row']);
      const rack = hall.children[0].children[0];
      expect(rack).toMatchObject({ kind: 'rack', nodes: 2, gpusTotal: 8, children: [] });
    });

    it('applies the lowest active override to the effective budget, and not a cancelled or future one', async () => {
      const [site] = await inventory.scopes.tree();
      const now = new Date();
      const hour = 3_600_000;
      const deep = await inventory.budgetOverrides.create(
        {
          scopeId: site.id,
          watts: 1_000_000,
          startsAt: new Date(now.getTime() - hour),
          endsAt: new Date(now.getTime() + hour),
          reason: 'grid event',
        },
        admin,
      );
      await inventory.budgetOverrides.create(
        {
          scopeId: site.id,
          watts: 2_000_000,
          startsAt: new Date(now.getTime() - hour),
          endsAt: new Date(now.getTime() + hour),
          reason: 'milder',
        },
        admin,
      );
      await inventory.budgetOverrides.create(
        {
          scopeId: site.id,
          watts: 10,
          startsAt: new Date(now.getTime() + hour),
          endsAt: new Date(now.getTime() + 2 * hour),
          reason: 'later',
        },
        admin,
      );
      let [withOverride] = await inventory.scopes.tree(now);
      expect(withOverride.effectiveBudgetWatts).toBe(1_000_000);
      expect(withOverride.activeOverride).toMatchObject({ id: deep.id, watts: 1_000_000, reason: 'grid event' });

      await inventory.budgetOverrides.cancel(deep.id, admin);
      [withOverride] = await inventory.scopes.tree(now);
      expect(withOverride.effectiveBudgetWatts).toBe(2_000_000);
      await expect(inventory.budgetOverrides.cancel(deep.id, admin)).rejects.toBeInstanceOf(ConflictError);

      const active = await inventory.budgetOverrides.list({ scopeId: site.id, state: 'active' });
      expect(active.items.map((o) => o.reason)).toEqual(['milder']);
      const scheduled = await inventory.budgetOverrides.list({ state: 'scheduled' });
      expect(scheduled.items.map((o) => o.reason)).toEqual(['later']);
    });

    it('refuses an override window that ends before it starts, and an unknown scope', async () => {
      const [site] = await inventory.scopes.tree();
      const t = new Date();
      await expect(
        inventory.budgetOverrides.create({ scopeId: site.id, watts: 1, startsAt: t, endsAt: t, reason: 'x' }, admin),
      ).rejects.toMatchObject({ field: 'endsAt' });
      await expect(
        inventory.budgetOverrides.create(
          {
            scopeId: '00000000-0000-4000-8000-000000000000',
            watts: 1,
            startsAt: t,
            endsAt: new Date(t.getTime() + 1),
            reason: 'x',
          },
          admin,
        ),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('nodes and GPUs', () => {
    it('pages through nodes in a stable order with an opaque cursor', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await inventory.nodes.list({ limit: 3, cursor });
        seen.push(...page.items.map((n) => n.name));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(8);
      expect([...seen].sort()).toEqual(seen);
      expect(new Set(seen).size).toBe(8);
    });

    it('filters nodes by scope, product and health', async () => {
      const [site] = await inventory.scopes.tree();
      const rack = site.children[0].children[1].children[0];
      const inRack = await inventory.nodes.list({ scopeId: rack.id });
      expect(inRack.items.map((n) => n.rackId)).toEqual([rack.id, rack.id]);
      expect(inRack.items[0].gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
      expect((await inventory.nodes.list({ product: 'NVIDIA-H200' })).items).toHaveLength(8);
      expect((await inventory.nodes.list({ product: 'NVIDIA-B200' })).items).toHaveLength(0);
      await inventory.nodes.updateStatus(inRack.items[0].name, {
        health: 'healthy',
        schedulable: false,
        lastSeenAt: new Date(),
      });
      const healthy = await inventory.nodes.list({ health: 'healthy' });
      expect(healthy.items.map((n) => n.name)).toEqual([inRack.items[0].name]);
      expect(healthy.items[0].schedulable).toBe(false);
    });

    it('pages GPUs by node and index, filtered by scope', async () => {
      const [site] = await inventory.scopes.tree();
      const row = site.children[0].children[0];
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await inventory.nodes.listGpus({ scopeId: row.id, limit: 5, cursor });
        all.push(...page.items.map((g) => `${g.nodeName}/${g.index}`));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(all).toHaveLength(16);
      expect(new Set(all).size).toBe(16);
    });

    it('rejects a forged cursor with a typed error', async () => {
      await expect(inventory.nodes.list({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
      const other = Buffer.from(JSON.stringify(['tenant', 'x'])).toString('base64url');
      await expect(inventory.nodes.list({ cursor: other })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('loads the whole inventory in one snapshot', async () => {
      const snapshot = await inventory.nodes.snapshot();
      expect(snapshot.nodes).toHaveLength(8);
      expect(snapshot.nodes.every((n) => n.gpus.length === 4 && n.rackPath.startsWith('demo-dc/'))).toBe(true);
    });
  });

  describe('tenants and model profiles', () => {
    it('creates, updates, lists and deletes tenants, with audit events', async () => {
      const tenant = await inventory.tenants.create({ name: 'vision-team', gpuQuota: 16, wattsQuota: 20_000 }, admin);
      await expect(inventory.tenants.create({ name: 'vision-team' }, admin)).rejects.toMatchObject({
        reason: 'already-exists',
        field: 'name',
      });
      await expect(inventory.tenants.update(tenant.id, { gpuQuota: -1 }, admin)).rejects.toMatchObject({
        field: 'gpuQuota',
      });
      const updated = await inventory.tenants.update(tenant.id, { wattsQuota: null }, admin);
      expect(updated).toMatchObject({ gpuQuota: 16, wattsQuota: null });
      expect((await inventory.tenants.list()).items.map((t) => t.name)).toContain('vision-team');
      await inventory.tenants.delete(tenant.id, admin);
      await expect(inventory.tenants.get(tenant.id)).rejects.toBeInstanceOf(NotFoundError);
      const audit = await inventory.audit.list({ action: 'tenant.update' });
      expect(audit.items[0]).toMatchObject({ actor: 'test:admin', target: `tenant/${tenant.id}` });
    });

    it('keeps model profiles with their allowed products, refusing unknown products by field', async () => {
      const profile = await inventory.modelProfiles.create(
        {
          name: 'vl-33b',
          gpusPerReplica: 2,
          gpuMemoryMiB: 80_000,
          allowedProducts: ['NVIDIA-H200'],
          predictedWattsPerGpu: 650,
          cappedPowerLimitWatts: 500,
          predictedWattsPerGpuCapped: 480,
        },
        admin,
      );
      expect(profile.allowedProducts).toEqual(['NVIDIA-H200']);
      await expect(
        inventory.modelProfiles.create(
          {
            name: 'x',
            gpusPerReplica: 1,
            gpuMemoryMiB: 1,
            predictedWattsPerGpu: 1,
            allowedProducts: ['NVIDIA-H200', 'nope'],
          },
          admin,
        ),
      ).rejects.toMatchObject({ field: 'allowedProducts[1]' });
      await expect(
        inventory.modelProfiles.create(
          { name: 'y', gpusPerReplica: 1, gpuMemoryMiB: 1, predictedWattsPerGpu: 1, cappedPowerLimitWatts: 300 },
          admin,
        ),
      ).rejects.toBeInstanceOf(ConstraintViolationError);
      const updated = await inventory.modelProfiles.update(
        profile.id,
        { allowedProducts: [], gpusPerReplica: 4 },
        admin,
      );
      expect(updated).toMatchObject({ allowedProducts: [], gpusPerReplica: 4 });
      expect((await inventory.modelProfiles.findByName('vl-33b'))?.id).toBe(profile.id);
    });
  });

  describe('API tokens', () => {
    it('stores only the hash, verifies, and stops accepting a revoked token', async () => {
      const created = await inventory.tokens.create({ name: 'ci', role: 'operator' }, admin);
      expect(created.token).toMatch(/^sy_[A-Za-z0-9_-]{43}$/);
      const stored = await db.database.prisma.apiToken.findUniqueOrThrow({ where: { id: created.record.id } });
      expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(created.token);
      expect(await inventory.tokens.verify(created.token)).toMatchObject({ id: created.record.id, role: 'operator' });
      expect(await inventory.tokens.verify(created.token + 'x')).toBeUndefined();
      await inventory.tokens.revoke(created.record.id, admin);
      expect(await inventory.tokens.verify(created.token)).toBeUndefined();
    });

    it('bootstraps one admin token only while there is none', async () => {
      const tokens = new Inventory(db.database).tokens;
      await db.database.prisma.apiToken.deleteMany();
      const first = await tokens.bootstrapAdmin(undefined, { actor: 'system:startup' });
      expect(first?.record.role).toBe('admin');
      expect(await tokens.bootstrapAdmin(undefined, { actor: 'system:startup' })).toBeUndefined();
      const fromEnv = await tokens.bootstrapAdmin('sy_chosen-by-the-operator', { actor: 'system:startup' });
      expect(fromEnv?.token).toBe('sy_chosen-by-the-operator');
      expect(await tokens.bootstrapAdmin('sy_chosen-by-the-operator', { actor: 'system:startup' })).toBeUndefined();
    });
  });

  describe('allocations', () => {
    it('allocates shares, aggregates them in the tree, refuses over-allocation, and releases', async () => {
      const node = (await inventory.nodes.list({ limit: 1 })).items[0];
      const a = await inventory.allocations.create({
        podUid: 'uid-a',
        podNamespace: 'ml',
        podName: 'a',
        nodeName: node.name,
        gpus: [
          { index: 0, shareMilli: 1000 },
          { index: 1, shareMilli: 600 },
        ],
        predictedWatts: 1_200,
        priority: 'high',
      });
      expect(a.gpus.map((g) => [g.index, g.shareMilli])).toEqual([
        [0, 1000],
        [1, 600],
      ]);
      await expect(
        inventory.allocations.create({
          podUid: 'uid-b',
          podNamespace: 'ml',
          podName: 'b',
          nodeName: node.name,
          gpus: [{ index: 1, shareMilli: 500 }],
          predictedWatts: 300,
        }),
      ).rejects.toMatchObject({ reason: 'gpu-share-exceeded' });
      await expect(
        inventory.allocations.create({
          podUid: 'uid-a',
          podNamespace: 'ml',
          podName: 'a2',
          nodeName: node.name,
          gpus: [{ index: 2, shareMilli: 100 }],
          predictedWatts: 1,
        }),
      ).rejects.toMatchObject({ reason: 'pod-already-allocated' });
      await expect(
        inventory.allocations.create({
          podUid: 'uid-c',
          podNamespace: 'ml',
          podName: 'c',
          nodeName: node.name,
          gpus: [{ index: 9, shareMilli: 100 }],
          predictedWatts: 1,
        }),
      ).rejects.toMatchObject({ field: 'gpus[0].index' });

      const [site] = await inventory.scopes.tree();
      expect(site).toMatchObject({ allocatedWatts: 1_200, gpusAllocatedMilli: 1_600, gpusBusy: 2 });
      const byNode = await inventory.allocations.list({ nodeName: node.name });
      expect(byNode.items.map((x) => x.podUid)).toEqual(['uid-a']);
      expect((await inventory.allocations.list({ scopeId: site.id })).items).toHaveLength(1);

      await inventory.allocations.markBound('uid-a');
      expect((await inventory.allocations.findByPod('uid-a'))?.state).toBe('bound');
      expect(await inventory.allocations.release('uid-a', { actor: 'scheduler' })).toBe(true);
      expect(await inventory.allocations.release('uid-a')).toBe(false);
      const gpus = await inventory.nodes.get(node.name);
      expect(gpus.gpus.map((g) => g.allocatedMilli)).toEqual([0, 0, 0, 0]);
    });

    it('allocates a gang all or nothing', async () => {
      const [n1, n2] = (await inventory.nodes.list({ limit: 2 })).items;
      const gang = (uid: string, shareOnSecond: number) => [
        {
          podUid: `${uid}-0`,
          podNamespace: 'ml',
          podName: `${uid}-0`,
          nodeName: n1.name,
          gpus: [{ index: 3, shareMilli: 1000 }],
          predictedWatts: 700,
        },
        {
          podUid: `${uid}-1`,
          podNamespace: 'ml',
          podName: `${uid}-1`,
          nodeName: n2.name,
          gpus: [{ index: 3, shareMilli: shareOnSecond }],
          predictedWatts: 700,
        },
      ];
      await inventory.allocations.create({
        podUid: 'blocker',
        podNamespace: 'ml',
        podName: 'blocker',
        nodeName: n2.name,
        gpus: [{ index: 3, shareMilli: 500 }],
        predictedWatts: 1,
      });
      await expect(inventory.allocations.createGang(gang('g1', 1000))).rejects.toMatchObject({
        reason: 'gpu-share-exceeded',
      });
      expect(await inventory.allocations.findByPod('g1-0')).toBeUndefined();
      const placed = await inventory.allocations.createGang(gang('g2', 500));
      expect(placed.map((p) => p.nodeName)).toEqual([n1.name, n2.name]);
      for (const uid of ['g2-0', 'g2-1', 'blocker']) await inventory.allocations.release(uid);
    });
  });

  describe('concurrent use', () => {
    it('keeps concurrent transactions apart: every create lands once, a contested name exactly once', async () => {
      const names = Array.from({ length: 12 }, (_, i) => `parallel-${i}`);
      const results = await Promise.allSettled([
        ...names.map((name) => inventory.tenants.create({ name }, admin)),
        ...Array.from({ length: 4 }, () => inventory.tenants.create({ name: 'contested' }, admin)),
        ...Array.from({ length: 4 }, () => inventory.scopes.tree()),
      ]);
      const tenants = results.slice(0, 12);
      const contested = results.slice(12, 16);
      expect(tenants.every((r) => r.status === 'fulfilled')).toBe(true);
      expect(contested.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of contested) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ reason: 'already-exists' });
      }
      expect(results.slice(16).every((r) => r.status === 'fulfilled')).toBe(true);
      const audited = await inventory.audit.list({ action: 'tenant.create', limit: 1000 });
      const created = audited.items.filter((e) => /^(parallel-|contested)/.test((e.details as { name: string }).name));
      expect(created).toHaveLength(13);
    });
  });

  describe('audit log', () => {
    it('filters by actor, action and time, newest first, with a cursor', async () => {
      for (let i = 0; i < 3; i++) await inventory.tenants.create({ name: `audited-${i}` }, { actor: 'test:auditor' });
      const page1 = await inventory.audit.list({ actor: 'test:auditor', limit: 2 });
      expect(page1.items.map((e) => e.action)).toEqual(['tenant.create', 'tenant.create']);
      expect(page1.nextCursor).not.toBeNull();
      const page2 = await inventory.audit.list({
        actor: 'test:auditor',
        limit: 2,
        cursor: page1.nextCursor ?? undefined,
      });
      expect(page2.items).toHaveLength(1);
      expect(page2.nextCursor).toBeNull();
      const names = [...page1.items, ...page2.items].map((e) => (e.details as { name: string }).name);
      expect(names).toEqual(['audited-2', 'audited-1', 'audited-0']);
      expect((await inventory.audit.list({ action: 'topology.import' })).items).toHaveLength(1);
      expect(
        (await inventory.audit.list({ actor: 'test:auditor', until: new Date(Date.now() - 3_600_000) })).items,
      ).toHaveLength(0);
    });
  });
});
