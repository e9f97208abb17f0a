package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

import jakarta.persistence.EntityManager;
import jakarta.persistence.TransactionRequiredException;

import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.application.contracts.StateTable;

/**
 * The world state in relational tables, one entity per {@link StateTable}. While a block executes, its
 * changes wait in memory (reads see them first, then the database), so the contracts never make the
 * database flush in the middle of a block; {@link #endBlock} hands them to the entity manager, to be
 * written in the block's transaction with JDBC batching. Reads through a store without pending changes
 * (the services' queries) are plain indexed, paged queries.
 */
public final class JpaStateStore implements StateStore {

    private static final Map<StateTable, Supplier<StateRowEntity>> ENTITIES = Map.ofEntries(
            Map.entry(StateTable.ORGANISATION, StateOrganisationRow::new),
            Map.entry(StateTable.USER, StateUserRow::new),
            Map.entry(StateTable.RECORD, StateRecordRow::new),
            Map.entry(StateTable.KEY_WRAP, StateKeyWrapRow::new),
            Map.entry(StateTable.CONSENT, StateConsentRow::new),
            Map.entry(StateTable.BREAK_GLASS, StateBreakGlassRow::new),
            Map.entry(StateTable.ACCESS_EVENT, StateAccessEventRow::new),
            Map.entry(StateTable.BILLED, StateBilledRow::new),
            Map.entry(StateTable.SEEN_TRANSACTION, StateSeenTransactionRow::new),
            Map.entry(StateTable.EMERGENCY_VOTE, StateEmergencyVoteRow::new),
            Map.entry(StateTable.EMERGENCY_STATE, StateEmergencyRow::new),
            Map.entry(StateTable.ADMISSION_VOTE, StateAdmissionVoteRow::new),
            Map.entry(StateTable.RECOVERY, StateRecoveryRow::new),
            Map.entry(StateTable.RECOVERED, StateRecoveredRow::new),
            Map.entry(StateTable.IMPORT, StateImportRow::new),
            Map.entry(StateTable.STAGED_RECORD, StateStagedRecordRow::new));
    private static final Map<StateTable, Class<? extends StateRowEntity>> CLASSES = new EnumMap<>(StateTable.class);

    static {
        ENTITIES.forEach((t, s) -> CLASSES.put(t, s.get().getClass()));
    }

    /** Name of the ledger meta row holding the height of the block the state tables reflect. */
    static final String STATE_HEIGHT = "stateHeight";

    /** A change not yet handed to the entity manager: the new row (null: deleted), and whether the key is in the database. */
    private record Pending(Row row, boolean inDatabase) {
    }

    /** Tables read on nearly every transaction and small (one row per person or organisation), cached as committed. */
    private static final java.util.Set<StateTable> CACHED = java.util.EnumSet.of(StateTable.USER, StateTable.ORGANISATION,
            StateTable.EMERGENCY_STATE);
    /** Rows of the {@link #CACHED} tables kept, most recently used. */
    static final int CACHE_ROWS = 4096;

    private final EntityManager em;
    private final Consumer<Runnable> transactional;
    private final Map<StateTable, TreeMap<String, Pending>> pending = new EnumMap<>(StateTable.class);
    /**
     * Committed rows of the {@link #CACHED} tables (empty: known absent), bounded. Only the ledger's own store
     * (the only writer) caches; it is dropped with the ledger if a block's transaction does not commit.
     */
    private final Map<String, java.util.Optional<Row>> cache;
    /** Rows read ahead for the block being executed (empty: known absent), dropped when it ends. */
    private final Map<String, java.util.Optional<Row>> readAhead = new java.util.HashMap<>();
    /**
     * The ledger's store only: what the database answered to the index queries of the block being executed (its
     * rows do not change before the block ends), so that the records of one patient in a block read the patient's
     * consents once, not once each. Small answers only, and a bounded number of them; dropped when the block ends.
     */
    private final Map<String, List<Row>> foundInBlock = new java.util.HashMap<>();
    /** The most answers {@link #foundInBlock} keeps, and the most rows of one. */
    static final int FOUND_IN_BLOCK = 1024;
    static final int FOUND_ROWS = 64;
    /**
     * The committed rows shared with the services' queries (null: none): the ledger's store tells it which
     * rows a block changes, a reader's store reads through it.
     */
    private final StateReadCache shared;
    /** The keys of {@link #shared} the block being executed changes (the ledger's store only). */
    private final java.util.Set<String> touched = new java.util.HashSet<>();

    /**
     * @param em            the entity manager of the ledger's persistence unit
     * @param transactional runs a unit of work atomically (in the container: in the caller's transaction)
     */
    public JpaStateStore(EntityManager em, Consumer<Runnable> transactional) {
        this(em, transactional, true, null);
    }

    /**
     * The ledger's store, telling {@code shared} which of its rows each block changes (see
     * {@link StateReadCache}).
     */
    public JpaStateStore(EntityManager em, Consumer<Runnable> transactional, StateReadCache shared) {
        this(em, transactional, true, shared);
    }

    private JpaStateStore(EntityManager em, Consumer<Runnable> transactional, boolean cache, StateReadCache shared) {
        this.em = em;
        this.transactional = transactional;
        this.shared = shared;
        this.cache = !cache ? null : new java.util.LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, java.util.Optional<Row>> eldest) {
                return size() > CACHE_ROWS;
            }
        };
    }

    /** A store for reading only (the services' queries), in the caller's transaction if any; it caches nothing. */
    public static JpaStateStore reader(EntityManager em) {
        return new JpaStateStore(em, Runnable::run, false, null);
    }

    /**
     * A store for reading only that takes the rows everyone reads (see {@link #SHARED_ROWS} and
     * {@link #SHARED_FINDS}) from {@code shared} when it has them.
     */
    public static JpaStateStore reader(EntityManager em, StateReadCache shared) {
        return new JpaStateStore(em, Runnable::run, false, shared);
    }

    /** Tables whose rows, read by key, a reader's store takes from the {@link StateReadCache}. */
    static final java.util.Set<StateTable> SHARED_ROWS = CACHED;
    /** Tables whose rows of one index value (all of them, if few) a reader's store takes from the cache. */
    static final java.util.Set<StateTable> SHARED_FINDS = java.util.EnumSet.of(StateTable.CONSENT, StateTable.BREAK_GLASS);
    /** The most rows of one index value kept in the cache. */
    static final int SHARED_FIND_ROWS = 64;

    private boolean readsShared() {
        return shared != null && cache == null;
    }

    private static String findKey(StateTable t, int index, String value) {
        return "f" + t.ordinal() + "/" + index + "/" + value;
    }

    /** Notes the cache keys a change of a row (its key and each index value, before and after) touches. */
    private void touch(StateTable table, Row row) {
        if (shared == null || row == null) {
            return;
        }
        if (SHARED_ROWS.contains(table)) {
            touched.add(cacheKey(table, row.key()));
        }
        if (SHARED_FINDS.contains(table)) {
            for (int i = 1; i <= 3; i++) {
                if (row.index(i) != null) {
                    touched.add(findKey(table, i, row.index(i)));
                }
            }
        }
    }

    private static String cacheKey(StateTable t, String key) {
        return t.ordinal() + "/" + key;
    }

    private TreeMap<String, Pending> pending(StateTable t) {
        return pending.computeIfAbsent(t, k -> new TreeMap<>());
    }

    private static String entity(StateTable t) {
        return CLASSES.get(t).getSimpleName();
    }

    @Override
    public Row get(StateTable table, String key) {
        TreeMap<String, Pending> p = pending.get(table);
        Pending change = p == null ? null : p.get(key);
        if (change != null) {
            return change.row();
        }
        java.util.Optional<Row> ahead = readAhead.isEmpty() ? null : readAhead.get(cacheKey(table, key));
        if (ahead != null) {
            return ahead.orElse(null);
        }
        boolean cached = cache != null && CACHED.contains(table);
        if (cached) {
            java.util.Optional<Row> hit = cache.get(cacheKey(table, key));
            if (hit != null) {
                return hit.orElse(null);
            }
        }
        boolean fromShared = readsShared() && SHARED_ROWS.contains(table);
        long readAt = 0;
        if (fromShared) {
            @SuppressWarnings("unchecked")
            java.util.Optional<Row> hit = (java.util.Optional<Row>) shared.get(cacheKey(table, key));
            if (hit != null) {
                return hit.orElse(null);
            }
            readAt = shared.generation();
        }
        StateRowEntity e = em.find(CLASSES.get(table), key);
        Row row = e == null ? null : e.row();
        if (cached) {
            cache.put(cacheKey(table, key), java.util.Optional.ofNullable(row));
        }
        if (fromShared) {
            shared.put(cacheKey(table, key), java.util.Optional.ofNullable(row), readAt);
        }
        return row;
    }

    @Override
    public void put(StateTable table, Row row, Row previous) {
        touch(table, row);
        touch(table, previous);
        Pending before = pending(table).get(row.key());
        pending(table).put(row.key(), new Pending(row, before != null ? before.inDatabase() : previous != null));
    }

    @Override
    public void remove(StateTable table, Row previous) {
        touch(table, previous);
        Pending before = pending(table).get(previous.key());
        pending(table).put(previous.key(), new Pending(null, before == null || before.inDatabase()));
    }

    @Override
    public void prefetch(StateTable table, java.util.Collection<String> keys) {
        for (String k : keys) {
            readAhead.put(cacheKey(table, k), java.util.Optional.empty());
        }
        byKeys(table, keys).forEach(r -> readAhead.put(cacheKey(table, r.key()), java.util.Optional.of(r)));
    }

    @Override
    public Map<String, Row> getAll(StateTable table, java.util.Collection<String> keys) {
        Map<String, Row> out = new java.util.HashMap<>();
        List<String> stored = new ArrayList<>();
        TreeMap<String, Pending> p = pending.get(table);
        for (String k : keys) {
            boolean known = p != null && p.containsKey(k) || readAhead.containsKey(cacheKey(table, k));
            if (known || CACHED.contains(table)) {
                Row r = get(table, k); // pending, read ahead or cached: as get answers it
                if (r != null) {
                    out.put(k, r);
                }
            } else {
                stored.add(k);
            }
        }
        byKeys(table, stored).forEach(r -> out.put(r.key(), r));
        return out;
    }

    /** The stored rows with these keys ({@link ByKeys#CHUNK} keys a query). */
    private List<Row> byKeys(StateTable table, java.util.Collection<String> keys) {
        List<Row> rows = new ArrayList<>();
        for (StateRowEntity e : ByKeys.find(em, "SELECT r FROM " + entity(table) + " r WHERE r.key IN :keys", StateRowEntity.class,
                keys)) {
            rows.add(e.row());
        }
        return rows;
    }

    @Override
    public List<Row> find(StateTable table, int index, String value, int offset, int limit) {
        if (readsShared() && SHARED_FINDS.contains(table) && offset == 0 && limit == Integer.MAX_VALUE) {
            String key = findKey(table, index, value);
            @SuppressWarnings("unchecked")
            List<Row> hit = (List<Row>) shared.get(key);
            if (hit != null) {
                return hit;
            }
            long readAt = shared.generation();
            List<Row> rows = List.copyOf(find(em, table, index, value, 0, limit));
            if (rows.size() <= SHARED_FIND_ROWS) {
                shared.put(key, rows, readAt);
            }
            return rows;
        }
        TreeMap<String, Pending> p = pending.get(table);
        int extra = p == null ? 0 : p.size();
        int want = (int) Math.min(Integer.MAX_VALUE, (extra == 0 ? 0L : offset) + (long) limit + extra);
        List<Row> rows = new ArrayList<>();
        for (Row r : foundInDatabase(table, index, value, extra == 0 ? offset : 0, want)) {
            if (p == null || !p.containsKey(r.key())) {
                rows.add(r);
            }
        }
        if (extra == 0) {
            return rows;
        }
        for (Pending c : p.values()) {
            if (c.row() != null && value.equals(c.row().index(index))) {
                rows.add(c.row());
            }
        }
        rows.sort(BY_ORDER_THEN_KEY);
        return List.copyOf(rows.subList(Math.min(offset, rows.size()), (int) Math.min(rows.size(), (long) offset + limit)));
    }

    /** {@link #find(EntityManager, StateTable, int, String, int, int)}, remembered until the block ends (ledger's store). */
    private List<Row> foundInDatabase(StateTable table, int index, String value, int offset, int limit) {
        if (cache == null) {
            return find(em, table, index, value, offset, limit);
        }
        String key = table.ordinal() + "/" + index + "/" + offset + "/" + limit + "/" + value;
        List<Row> known = foundInBlock.get(key);
        if (known != null) {
            return known;
        }
        List<Row> rows = find(em, table, index, value, offset, limit);
        if (rows.size() <= FOUND_ROWS && foundInBlock.size() < FOUND_IN_BLOCK) {
            foundInBlock.put(key, List.copyOf(rows));
        }
        return rows;
    }

    /** The rows of one index value in the database, in their order, a page of them. */
    private static List<Row> find(EntityManager em, StateTable table, int index, String value, int offset, int limit) {
        List<StateRowEntity> found = em.createQuery("SELECT r FROM " + entity(table) + " r WHERE r.index" + index
                + " = :v ORDER BY r.sortOrder, r.key", StateRowEntity.class).setParameter("v", value)
                .setFirstResult(offset).setMaxResults(limit).getResultList();
        List<Row> rows = new ArrayList<>(found.size());
        for (StateRowEntity e : found) {
            rows.add(e.row());
        }
        return rows;
    }

    @Override
    public List<Row> findNewestFirst(StateTable table, int index, java.util.Collection<String> values, long from, long to,
                                     long afterOrder, String afterKey, int limit) {
        TreeMap<String, Pending> p = pending.get(table);
        int extra = p == null ? 0 : p.size();
        int want = (int) Math.min(Integer.MAX_VALUE, (long) limit + extra);
        List<Row> rows = new ArrayList<>();
        // One index range per value, each newest first and cut at the page: the page is merged from at most
        // values x limit rows, however many the values hold.
        for (String value : new java.util.TreeSet<>(values)) {
            for (Row r : newestFirst(em, table, index, value, from, to, afterOrder, afterKey, want)) {
                if (p == null || !p.containsKey(r.key())) {
                    rows.add(r);
                }
            }
        }
        if (p != null) {
            for (Pending c : p.values()) {
                Row r = c.row();
                if (r != null && values.contains(r.index(index)) && r.order() >= from && r.order() < to
                        && StateStore.after(r, afterOrder, afterKey)) {
                    rows.add(r);
                }
            }
        }
        rows.sort(BY_ORDER_THEN_KEY.reversed());
        return List.copyOf(rows.subList(0, Math.min(rows.size(), limit)));
    }

    /**
     * The rows of one index value in the database with order in [from, to), newest first, after a row, a page of
     * them. The bounds on the order are a range of the index (whose columns end with the order and the key); only
     * rows of the cursor's own order are filtered by key.
     */
    private static List<Row> newestFirst(EntityManager em, StateTable table, int index, String value, long from, long to,
                                         long afterOrder, String afterKey, int limit) {
        long below = afterKey == null ? to : Math.min(to, afterOrder == Long.MAX_VALUE ? afterOrder : afterOrder + 1);
        if (from >= below) {
            return List.of();
        }
        var query = em.createQuery("SELECT r FROM " + entity(table) + " r WHERE r.index" + index
                + " = :v AND r.sortOrder >= :from AND r.sortOrder < :below"
                + (afterKey == null ? "" : " AND (r.sortOrder < :o OR r.key < :k)")
                + " ORDER BY r.sortOrder DESC, r.key DESC", StateRowEntity.class)
                .setParameter("v", value).setParameter("from", from).setParameter("below", below);
        if (afterKey != null) {
            query.setParameter("o", afterOrder).setParameter("k", afterKey);
        }
        List<Row> rows = new ArrayList<>();
        for (StateRowEntity e : query.setMaxResults(limit).getResultList()) {
            rows.add(e.row());
        }
        return rows;
    }

    @Override
    public List<Row> scan(StateTable table, String afterKey, int limit) {
        TreeMap<String, Pending> p = pending.get(table);
        int extra = p == null ? 0 : p.size();
        List<StateRowEntity> found = em.createQuery("SELECT r FROM " + entity(table) + " r WHERE r.key > :a ORDER BY r.key",
                StateRowEntity.class).setParameter("a", afterKey)
                .setMaxResults((int) Math.min(Integer.MAX_VALUE, (long) limit + extra)).getResultList();
        TreeMap<String, Row> rows = new TreeMap<>();
        for (StateRowEntity e : found) {
            rows.put(e.row().key(), e.row());
        }
        if (p != null) {
            p.tailMap(afterKey, false).forEach((k, c) -> {
                if (c.row() == null) {
                    rows.remove(k);
                } else {
                    rows.put(k, c.row());
                }
            });
        }
        List<Row> out = new ArrayList<>(rows.values());
        return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
    }

    @Override
    public long count(StateTable table) {
        long n = em.createQuery("SELECT COUNT(r) FROM " + entity(table) + " r", Long.class).getSingleResult();
        TreeMap<String, Pending> p = pending.get(table);
        if (p != null) {
            for (Pending c : p.values()) {
                n += c.row() != null && !c.inDatabase() ? 1 : c.row() == null && c.inDatabase() ? -1 : 0;
            }
        }
        return n;
    }

    @Override
    public long height() {
        LedgerMetaRow m = em.find(LedgerMetaRow.class, STATE_HEIGHT);
        return m == null ? 0 : m.value();
    }

    @Override
    public Map<StateTable, byte[]> accumulators() {
        Map<StateTable, byte[]> out = new EnumMap<>(StateTable.class);
        for (StateDigestRow d : em.createQuery("SELECT d FROM StateDigestRow d", StateDigestRow.class).getResultList()) {
            for (StateTable t : StateTable.values()) {
                if (t.tableName().equals(d.table())) {
                    out.put(t, d.accumulator().clone());
                }
            }
        }
        return out;
    }

    @Override
    public void endBlock(long height, Map<StateTable, byte[]> changedAccumulators) {
        if (shared != null && !touched.isEmpty()) {
            shared.changing(touched);
            touched.clear();
        }
        transactional.accept(() -> {
            pending.forEach((table, changes) -> changes.forEach((key, c) -> write(table, key, c)));
            pending.clear();
            readAhead.clear();
            foundInBlock.clear();
            changedAccumulators.forEach((t, a) -> {
                StateDigestRow d = em.find(StateDigestRow.class, t.tableName());
                if (d == null) {
                    em.persist(new StateDigestRow(t.tableName(), a.clone()));
                } else {
                    d.accumulator(a.clone());
                }
            });
            LedgerMetaRow meta = em.find(LedgerMetaRow.class, STATE_HEIGHT);
            if (meta == null) {
                em.persist(new LedgerMetaRow(STATE_HEIGHT, height));
            } else {
                meta.value(height);
            }
        });
    }

    private void write(StateTable table, String key, Pending c) {
        if (cache != null && CACHED.contains(table)) {
            cache.put(cacheKey(table, key), java.util.Optional.ofNullable(c.row()));
        }
        if (c.row() != null && !c.inDatabase()) {
            em.persist(ENTITIES.get(table).get().set(c.row()));
            return;
        }
        StateRowEntity stored = c.inDatabase() ? em.find(CLASSES.get(table), key) : null;
        if (c.row() == null) {
            if (stored != null) {
                em.remove(stored);
            }
        } else if (stored == null) {
            em.persist(ENTITIES.get(table).get().set(c.row()));
        } else {
            stored.set(c.row());
        }
    }

    @Override
    public void release() {
        pending.clear();
        readAhead.clear();
        foundInBlock.clear();
        touched.clear();
        if (shared != null) {
            shared.clear();
        }
        if (cache != null) {
            cache.clear();
        }
        try {
            em.flush();
        } catch (TransactionRequiredException notInOne) {
            // nothing to write outside a transaction
        }
        em.clear();
    }
}
