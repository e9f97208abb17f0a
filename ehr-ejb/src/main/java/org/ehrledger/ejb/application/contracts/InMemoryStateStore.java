package org.ehrledger.ejb.application.contracts;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** The world state's rows in ordered maps, with an in-memory index per indexed column (tests, simulations). */
final class InMemoryStateStore implements StateStore {


    private final Map<StateTable, TreeMap<String, Row>> rows = new EnumMap<>(StateTable.class);
    /** Table, then index number (1 to 3), then indexed value to the keys holding it. */
    private final Map<StateTable, List<Map<String, TreeSet<String>>>> indexes = new EnumMap<>(StateTable.class);
    private final Map<StateTable, byte[]> accumulators = new EnumMap<>(StateTable.class);
    private long height;

    private TreeMap<String, Row> table(StateTable t) {
        return rows.computeIfAbsent(t, k -> new TreeMap<>());
    }

    private List<Map<String, TreeSet<String>>> indexes(StateTable t) {
        return indexes.computeIfAbsent(t, k -> List.of(new HashMap<>(), new HashMap<>(), new HashMap<>()));
    }

    @Override
    public synchronized Row get(StateTable table, String key) {
        return table(table).get(key);
    }

    @Override
    public synchronized void put(StateTable table, Row row, Row previous) {
        if (previous != null) {
            unindex(table, previous);
        }
        table(table).put(row.key(), row);
        for (int i = 1; i <= 3; i++) {
            if (row.index(i) != null) {
                indexes(table).get(i - 1).computeIfAbsent(row.index(i), k -> new TreeSet<>()).add(row.key());
            }
        }
    }

    private void unindex(StateTable table, Row row) {
        for (int i = 1; i <= 3; i++) {
            TreeSet<String> keys = row.index(i) == null ? null : indexes(table).get(i - 1).get(row.index(i));
            if (keys != null) {
                keys.remove(row.key());
                if (keys.isEmpty()) {
                    indexes(table).get(i - 1).remove(row.index(i));
                }
            }
        }
    }

    @Override
    public synchronized void remove(StateTable table, Row previous) {
        unindex(table, previous);
        table(table).remove(previous.key());
    }

    @Override
    public synchronized List<Row> find(StateTable table, int index, String value, int offset, int limit) {
        List<Row> out = new ArrayList<>();
        for (String key : indexes(table).get(index - 1).getOrDefault(value, new TreeSet<>())) {
            out.add(table(table).get(key));
        }
        out.sort(BY_ORDER_THEN_KEY);
        return List.copyOf(out.subList(Math.min(offset, out.size()), Math.min(out.size(), offset + (long) limit > out.size()
                ? out.size() : offset + limit)));
    }

    @Override
    public synchronized List<Row> findNewestFirst(StateTable table, int index, java.util.Collection<String> values, long from,
                                                  long to, long afterOrder, String afterKey, int limit) {
        List<Row> out = new ArrayList<>();
        for (String value : new TreeSet<>(values)) {
            for (String key : indexes(table).get(index - 1).getOrDefault(value, new TreeSet<>())) {
                Row r = table(table).get(key);
                if (r.order() >= from && r.order() < to && StateStore.after(r, afterOrder, afterKey)) {
                    out.add(r);
                }
            }
        }
        out.sort(BY_ORDER_THEN_KEY.reversed());
        return List.copyOf(out.subList(0, Math.min(out.size(), limit)));
    }

    @Override
    public synchronized List<Row> scan(StateTable table, String afterKey, int limit) {
        List<Row> out = new ArrayList<>();
        for (Row r : table(table).tailMap(afterKey, false).values()) {
            if (out.size() >= limit) {
                break;
            }
            out.add(r);
        }
        return out;
    }

    @Override
    public synchronized long count(StateTable table) {
        return table(table).size();
    }

    @Override
    public synchronized long height() {
        return height;
    }

    @Override
    public synchronized Map<StateTable, byte[]> accumulators() {
        Map<StateTable, byte[]> out = new EnumMap<>(StateTable.class);
        accumulators.forEach((t, a) -> out.put(t, a.clone()));
        return out;
    }

    @Override
    public synchronized void endBlock(long height, Map<StateTable, byte[]> changedAccumulators) {
        this.height = height;
        changedAccumulators.forEach((t, a) -> accumulators.put(t, a.clone()));
    }
}
