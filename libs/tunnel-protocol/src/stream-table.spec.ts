import { StreamTable } from './stream-table';

describe('StreamTable', () => {
  it('keeps streams by id like a Map: size, replace, delete, and a snapshot of the values', () => {
    const t = new StreamTable<string>();
    expect(t.size).toBe(0);
    expect(t.get(2)).toBeUndefined();
    t.set(2, 'a');
    t.set(4, 'b');
    t.set(0xffffffff, 'max id');
    t.set(4, 'b2');
    expect(t.size).toBe(3);
    expect(t.get(4)).toBe('b2');
    expect(t.get(0xffffffff)).toBe('max id');
    const snapshot = t.values();
    expect(t.delete(2)).toBe(true);
    expect(t.delete(2)).toBe(false);
    expect(t.size).toBe(2);
    expect(snapshot.sort()).toEqual(['a', 'b2', 'max id']);
    expect(t.values().sort()).toEqual(['b2', 'max id']);
  });

  it('stays consistent over many thousands of opens and closes', () => {
    const t = new StreamTable<number>();
    const live = new Set<number>();
    for (let id = 1; id < 20_000; id += 2) {
      t.set(id, id);
      live.add(id);
      if (id % 3 === 0) {
        const old = id - 60;
        if (live.delete(old)) expect(t.delete(old)).toBe(true);
      }
    }
    expect(t.size).toBe(live.size);
    expect(t.values().sort((a, b) => a - b)).toEqual([...live].sort((a, b) => a - b));
  });
});
