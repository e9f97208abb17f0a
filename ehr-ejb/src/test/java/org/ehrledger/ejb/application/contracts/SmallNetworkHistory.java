package org.ehrledger.ejb.application.contracts;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.testing.Certified;

/**
 * The batches of a small network's life, certified: registrations, a consent, records, reads, a revocation, an
 * erasure. Every world-state table but the emergency and recovery ones gets rows.
 */
public final class SmallNetworkHistory {

    /** The time the ledger starts at ({@code LedgerApplication}'s first argument). */
    public static final long T0 = Actors.T0;

    private SmallNetworkHistory() {
    }

    /** The history signed by a fresh set of people, ordered by the given network from sequence 1, a second apart. */
    public static List<OrderedBatch> of(Certified network) {
        Actors a = new Actors();
        long[] clock = {0, T0};
        return of(a, operations -> {
            clock[1] += 1_000;
            return network.batch(++clock[0], clock[1], List.of(operations));
        });
    }

    /** The history signed by the given people, each batch ordered by {@code batch}. */
    public static List<OrderedBatch> of(Actors a, Function<byte[][], OrderedBatch> batch) {
        List<OrderedBatch> out = new ArrayList<>();
        out.add(batch.apply(new byte[][] {a.genesisOrganisation()}));
        out.add(batch.apply(new byte[][] {a.secondOrganisation()}));
        out.add(batch.apply(new byte[][] {a.registerStaff(a.admin, a.doctor, TxType.REGISTER_PRACTITIONER)}));
        out.add(batch.apply(new byte[][] {a.registerPatient(a.alice, "st-mary"), a.registerPatient(a.bob, "lakeside")}));
        out.add(batch.apply(new byte[][] {a.grant(a.alice, "c-1", "dr-house", 0, "NOTE")}));
        Actors.Submission note = a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor);
        out.add(batch.apply(new byte[][] {note.tx(), note.content()}));
        Actors.Submission own = a.addRecord(a.alice, a.alice, "r-2", "NOTE", a.alice);
        out.add(batch.apply(new byte[][] {own.tx(), own.content()}));
        out.add(batch.apply(new byte[][] {a.read(a.doctor, a.alice, "NOTE", "follow-up"), a.read(a.doctor, a.alice, "NOTE", "second look")}));
        out.add(batch.apply(new byte[][] {a.read(a.doctor, a.bob, "NOTE", "no consent")}));
        out.add(batch.apply(new byte[][] {a.revoke(a.alice, "c-1")}));
        out.add(batch.apply(new byte[][] {a.erase(a.alice, "r-2", "GDPR Art. 17 request 7")}));
        return out;
    }
}
