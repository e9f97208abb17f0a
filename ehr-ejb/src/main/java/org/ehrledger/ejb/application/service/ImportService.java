package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

import jakarta.annotation.Resource;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.inject.Inject;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.SharedTask;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Import;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;

/**
 * Importing a patient's whole history (a hospital's export as one bundle), all or nothing, and once: records
 * that fit one consensus request commit together as any batch; more are staged under an import in as many
 * requests as they need and published by one final transaction ({@code ImportContracts}), or aborted when
 * anything fails. Import and record ids derive from the author and the bundle's hash, so the same bundle
 * sent again is recognised and answered with what it created the first time.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class ImportService {

    private static final Logger LOG = Logger.getLogger(ImportService.class.getName());

    @Inject
    Caller caller;

    @Inject
    LedgerWriter writer;

    @Inject
    LedgerRuntime ledger;

    /** Where an import's next requests are committed while it seals the one after ({@link SharedTask}). */
    @Resource
    ManagedExecutorService helpers;

    /**
     * Requests of one import ordered at once. Two let the network order one while it stores the other, and the
     * importing replica seal the next meanwhile; each holds up to {@link RecordService#MAX_BATCH_BYTES} sealed.
     */
    static final int IN_FLIGHT = 2;

    /**
     * What an import created: its id (null when the records fitted one request), its records' ids in order, and
     * whether they were created by an earlier request with the same bundle (nothing new was created now).
     */
    public record Imported(String importId, List<String> recordIds, boolean earlier) {
    }

    /** The import id of a bundle sent by {@code author}: hex SHA-256 of the bundle's bytes. */
    public static String importId(String author, String bundleHash) {
        return "I-" + Digest.sha256(("import\0" + author + "\0" + bundleHash).getBytes(StandardCharsets.UTF_8)).hex().substring(0, 40);
    }

    /** The id the {@code n}-th record of an import gets ({@link Ids#RECORD_ID}'s form). */
    public static String recordId(String importId, int n) {
        return Ids.of("R", 4, Digest.sha256((importId + "/" + n).getBytes(StandardCharsets.UTF_8)).bytes());
    }

    /**
     * Writes a patient's records all or nothing; {@code drafts} carry the ids {@link #recordId} gives (the caller
     * refers to them beforehand). {@code progress} hears how many records are committed or staged so far;
     * {@code cancelled} is asked between two requests (a cancelled import is aborted: nothing is visible).
     * Refusals and failures abort the import; an import left open by a crash expires on the ledger.
     * <p>The drafts are taken: {@code drafts} is emptied once they are checked, and each record's fields are let go
     * once it is sealed, so that a whole history (tens of MB of resources) is not held for the whole import.
     */
    @RolesAllowed({"PRACTITIONER", "PATIENT"})
    public Imported importAll(String patientId, String bundleHash, List<RecordService.Draft> drafts, IntConsumer progress,
                              BooleanSupplier cancelled) {
        String me = caller.id();
        String pid = Inputs.text("patient id", patientId, 64);
        if (bundleHash == null || !bundleHash.matches("[0-9a-f]{64}")) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "a bundle is named by the hex SHA-256 of its bytes");
        }
        if (drafts == null || drafts.isEmpty() || drafts.size() > Import.MAX_RECORDS) {
            throw new EhrException(ErrorCode.PAYLOAD_TOO_LARGE, "an import holds 1 to " + Import.MAX_RECORDS + " records");
        }
        String importId = importId(me, bundleHash);
        int count = drafts.size();
        RecordWrites.Prepared p = RecordWrites.prepare(drafts);
        drafts.clear();
        if (earlier(importId, me, p.ids().get(0))) {
            return new Imported(importId, p.ids(), true);
        }
        List<Category> distinct = p.categories().stream().distinct().toList();
        RecordWrites.Found found = RecordWrites.checked(ledger, me, pid, distinct, true);
        if (count <= RecordService.MAX_BATCH) {
            List<LedgerWriter.Signed> plain = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                plain.add(seal(me, pid, p, found, null, i));
            }
            if (plain.stream().mapToLong(RecordWrites::bytes).sum() <= RecordService.MAX_BATCH_BYTES) {
                writer.commitAll(plain);
                progress.accept(count);
                return new Imported(null, p.ids(), false);
            }
        }
        if (ledger.query(s -> s.importOf(importId)) != null) {
            abort(me, importId); // the caller's own earlier attempt at this bundle, left open (it would expire)
        }
        writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), me, TxType.BEGIN_IMPORT, Fields.builder()
                .put("importId", importId).put("patient", pid).put("bundleHash", bundleHash).put("records", count)
                .build()), null));
        // Sealed a request at a time, so that a large history is held sealed a few requests at a time, not whole; up
        // to IN_FLIGHT requests are ordered at once (staged records are published together, in whatever order they
        // were staged), while the next is sealed here.
        ArrayDeque<SharedTask<Integer>> inFlight = new ArrayDeque<>();
        try {
            int[] done = {0};
            Requests requests = new Requests(request -> {
                if (cancelled.getAsBoolean()) {
                    throw new EhrException(ErrorCode.CONFLICT, "the import was cancelled; nothing of it is visible");
                }
                done[0] = collect(inFlight, IN_FLIGHT - 1, done[0], progress);
                inFlight.add(new SharedTask<>(() -> writer.commitAll(request).size()).offer(helpers));
            });
            for (int i = 0; i < count; i++) {
                requests.add(seal(me, pid, p, found, importId, i));
                p.contents().set(i, null);
            }
            requests.finish();
            done[0] = collect(inFlight, 0, done[0], progress);
            writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), me, TxType.PUBLISH_IMPORT,
                    Fields.builder().put("importId", importId).build()), null));
        } catch (RuntimeException e) {
            settle(inFlight);
            abort(me, importId);
            throw e;
        }
        return new Imported(importId, p.ids(), false);
    }

    /**
     * Waits for the oldest requests in flight until at most {@code keep} remain, telling {@code progress} the records
     * committed so far ({@code done} before); answers that count. A request's refusal or failure is thrown.
     */
    private static int collect(ArrayDeque<SharedTask<Integer>> inFlight, int keep, int done, IntConsumer progress) {
        while (inFlight.size() > keep) {
            done += inFlight.poll().answer();
            progress.accept(done);
        }
        return done;
    }

    /** Lets the requests still in flight end (none not yet started is sent), so that an abort is ordered after them. */
    private static void settle(ArrayDeque<SharedTask<Integer>> inFlight) {
        inFlight.forEach(SharedTask::drop);
        for (SharedTask<Integer> t : inFlight) {
            try {
                t.answer();
            } catch (RuntimeException e) {
                // dropped, or failed as the import did: it is aborted either way
            }
        }
    }

    /** Whether this bundle's records were committed before: its import published, or its first record written by {@code me}. */
    private boolean earlier(String importId, String me, String firstRecordId) {
        return ledger.query(s -> {
            Import i = s.importOf(importId);
            ClinicalRecord first = s.record(firstRecordId);
            return (i != null && i.published()) || (first != null && first.author().equals(me));
        });
    }

    private LedgerWriter.Signed seal(String me, String pid, RecordWrites.Prepared p, RecordWrites.Found found, String importId, int i) {
        return RecordWrites.seal(caller.keys(), me, pid, p.categories().get(i), new java.util.LinkedHashMap<>(p.contents().get(i)),
                p.ids().get(i), found, importId);
    }

    /** Records grouped in order into consensus requests of at most {@link RecordService#MAX_BATCH} records and bytes. */
    static List<List<LedgerWriter.Signed>> requests(List<LedgerWriter.Signed> records) {
        List<List<LedgerWriter.Signed>> out = new ArrayList<>();
        Requests requests = new Requests(out::add);
        records.forEach(requests::add);
        requests.finish();
        return out;
    }

    /**
     * Groups sealed records, in order, into consensus requests of at most {@link RecordService#MAX_BATCH} records and
     * {@link RecordService#MAX_BATCH_BYTES} bytes, handing each request on as soon as it is full.
     */
    static final class Requests {
        private final java.util.function.Consumer<List<LedgerWriter.Signed>> full;
        private List<LedgerWriter.Signed> current = new ArrayList<>();
        private long bytes;

        Requests(java.util.function.Consumer<List<LedgerWriter.Signed>> full) {
            this.full = full;
        }

        void add(LedgerWriter.Signed s) {
            long b = RecordWrites.bytes(s);
            if (b > RecordService.MAX_BATCH_BYTES) {
                throw new EhrException(ErrorCode.PAYLOAD_TOO_LARGE, "a record takes " + b / 1024 + " KiB sealed; at most "
                        + RecordService.MAX_BATCH_BYTES / 1024 + " KiB fit one consensus request; nothing of the import is visible");
            }
            if (!current.isEmpty() && (current.size() == RecordService.MAX_BATCH || bytes + b > RecordService.MAX_BATCH_BYTES)) {
                finish();
            }
            current.add(s);
            bytes += b;
        }

        /** Hands on what is gathered. */
        void finish() {
            if (!current.isEmpty()) {
                List<LedgerWriter.Signed> request = current;
                current = new ArrayList<>();
                bytes = 0;
                full.accept(request);
            }
        }
    }

    private void abort(String me, String importId) {
        try {
            writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), me, TxType.ABORT_IMPORT,
                    Fields.builder().put("importId", importId).build()), null));
        } catch (RuntimeException e) {
            LOG.warning("import " + importId + " not aborted (" + e.getMessage() + "); it expires on the ledger after "
                    + Import.EXPIRY_MILLIS / 60_000 + " minutes of inactivity");
        }
    }
}
